// Conformance: idempotency key scopes — global (the default outside a run), run (the default
// inside a run: a retried parent finds the children it triggered), attempt (each attempt of the
// parent triggers anew) — and a key whose run completed answering with that run and its output.
#include <atomic>
#include <stdexcept>
#include <string>

#include "conformance.hpp"

using namespace taskkit_test;
using namespace std::chrono_literals;
using taskkit::run_status;

TEMPLATE_LIST_TEST_CASE("conformance: a key whose run completed answers with that run and its output",
                        "[conformance][idempotency]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::task<int, int> t({.id = "idem-done",
                               .run =
                                   [&](const int& n) {
                                       ++runs;
                                       return n * 2;
                                   }},
                              reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    auto first = rt.trigger(t, 21, {.idempotency_key = "once"});
    CHECK(h.finish(first).status == run_status::completed);
    auto again = rt.trigger(t, 99, {.idempotency_key = "once"});
    CHECK(again.is_cached());
    CHECK(again.id() == first.id());
    CHECK(again.status() == run_status::completed);
    CHECK(again.get() == 42);
    auto scoped =
        rt.trigger(t, 99, {.idempotency_key = "once", .idempotency_scope = taskkit::idempotency_scope::global});
    CHECK(scoped.id() == first.id());  // outside a run, global is the default
    // Outside a run, run and attempt scopes have no parent to be unique within: global.
    CHECK(rt.trigger(t, 99, {.idempotency_key = "once", .idempotency_scope = taskkit::idempotency_scope::run}).id() ==
          first.id());
    h.run_until_idle();
    CHECK(runs == 1);
}

TEMPLATE_LIST_TEST_CASE("conformance: inside a run a key is unique within the parent run by default",
                        "[conformance][idempotency]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<int> charges{0};
    std::atomic<int> parent_attempts{0};
    taskkit::task<int, std::string> charge({.id = "charge",
                                            .run =
                                                [&](const int& amount) {
                                                    ++charges;
                                                    return "receipt-" + std::to_string(amount);
                                                }},
                                           reg);
    // The scope under test, chosen per section.
    std::optional<taskkit::idempotency_scope> scope;
    taskkit::task<int, std::string> order(
        {.id = "order",
         .retry = {.max_attempts = 3, .min_timeout = 1ms, .max_timeout = 1ms, .randomize = false},
         .run =
             [&](const int& amount, taskkit::run_context& ctx) {
                 ++parent_attempts;
                 auto receipt =
                     charge.trigger_and_wait(amount, {.idempotency_key = "charge", .idempotency_scope = scope})
                         .unwrap();
                 if (ctx.attempt().number < 3) throw std::runtime_error("the warehouse is down");
                 return receipt;
             }},
        reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();

    SECTION("run (the default): the retried parent finds its child") {
        auto first = rt.trigger(order, 10);
        CHECK(h.finish(first).status == run_status::completed);
        CHECK(first.get() == "receipt-10");
        CHECK(parent_attempts == 3);
        CHECK(charges == 1);
        // Another parent run has its own child with the same key.
        auto second = rt.trigger(order, 20);
        CHECK(h.finish(second).status == run_status::completed);
        CHECK(second.get() == "receipt-20");
        CHECK(charges == 2);
        CHECK(rt.list({.tasks = {"charge"}}).runs.size() == 2);
    }
    SECTION("run, named") {
        scope = taskkit::idempotency_scope::run;
        auto first = rt.trigger(order, 10);
        CHECK(h.finish(first).status == run_status::completed);
        CHECK(charges == 1);
    }
    SECTION("attempt: each attempt of the parent triggers its own child") {
        scope = taskkit::idempotency_scope::attempt;
        auto first = rt.trigger(order, 10);
        CHECK(h.finish(first).status == run_status::completed);
        CHECK(parent_attempts == 3);
        CHECK(charges == 3);
    }
    SECTION("global: every parent run shares the child") {
        scope = taskkit::idempotency_scope::global;
        auto first = rt.trigger(order, 10);
        CHECK(h.finish(first).status == run_status::completed);
        auto second = rt.trigger(order, 20);
        CHECK(h.finish(second).status == run_status::completed);
        CHECK(second.get() == "receipt-10");  // the first parent's child answered
        CHECK(charges == 1);
        // A trigger outside any run with the same key finds it too.
        auto outside = rt.trigger(charge, 30, {.idempotency_key = "charge"});
        CHECK(outside.is_cached());
        CHECK(outside.get() == "receipt-10");
    }
}

TEMPLATE_LIST_TEST_CASE("conformance: an idempotency scope needs a key", "[conformance][idempotency]",
                        conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int> t({.id = "idem-opts", .run = [](const int&) {}}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    CHECK_THROWS_AS(h.runtime().trigger(t, 1, {.idempotency_scope = taskkit::idempotency_scope::run}),
                    taskkit::options_error);
}
