// Conformance: batches and idempotency keys — a key twice in one batch, a key an earlier run holds
// or a failed run released, answered as for triggers one at a time, and a batch racing single
// triggers on one key (a backend that creates a batch in one transaction must decide each item's
// key inside it, in order).
#include <atomic>
#include <thread>

#include "conformance.hpp"

using namespace taskkit_test;
using namespace std::chrono_literals;
using taskkit::run_status;

TEMPLATE_LIST_TEST_CASE("conformance: idempotency keys inside a batch answer as they do for triggers one at a time",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<int> executions{0};
    taskkit::task<int, int> keyed({.id = "batch-keyed",
                                   .retry = {.max_attempts = 1},
                                   .run =
                                       [&](const int& n) {
                                           ++executions;
                                           if (n < 0) throw std::runtime_error("negative");
                                           return n;
                                       }},
                                  reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    // The same items, with keys of their own ("<prefix>..."), once as a batch and once one at a
    // time: a key twice in the items, a key an earlier run holds, a key a failed run released.
    auto items = [](const std::string& prefix) {
        return std::vector<taskkit::batch_item<int>>{{1, {.idempotency_key = prefix + "twice"}},
                                                     {2, {.idempotency_key = prefix + "held"}},
                                                     {3, {.idempotency_key = prefix + "twice"}},
                                                     {4, {.idempotency_key = prefix + "released"}},
                                                     {5}};
    };
    struct earlier_runs {
        std::string held;
        std::string released;
    };
    auto hold_keys = [&](const std::string& prefix) {
        auto held = rt.trigger(keyed, 100, {.idempotency_key = prefix + "held"});
        auto released = rt.trigger(keyed, -1, {.idempotency_key = prefix + "released"});
        h.run_until_idle();
        REQUIRE(released.status() == run_status::failed);
        return earlier_runs{held.id(), released.id()};
    };
    const auto batch_earlier = hold_keys("b-");
    auto batch = rt.batch_trigger(keyed, items("b-"));
    const auto single_earlier = hold_keys("s-");
    std::vector<taskkit::run_handle<int>> singles;
    for (auto& item : items("s-")) singles.push_back(rt.trigger(keyed, item.payload, item.options));
    h.run_until_idle();

    REQUIRE(batch.runs.size() == singles.size());
    auto check_answers = [](const std::vector<taskkit::run_handle<int>>& runs, const earlier_runs& earlier) {
        CHECK_FALSE(runs[0].is_cached());
        CHECK(runs[1].is_cached());
        CHECK(runs[1].id() == earlier.held);
        CHECK(runs[2].is_cached());
        CHECK(runs[2].id() == runs[0].id());
        CHECK_FALSE(runs[3].is_cached());
        CHECK(runs[3].id() != earlier.released);
        CHECK_FALSE(runs[4].is_cached());
        std::vector<int> outputs;
        for (const auto& r : runs) outputs.push_back(r.get());
        CHECK(outputs == std::vector<int>{1, 100, 1, 4, 5});
    };
    check_answers(batch.runs, batch_earlier);
    check_answers(singles, single_earlier);
    CHECK(batch.runs[2].snapshot().batch_id == batch.id);  // the answer is the batch's own first item
    CHECK(batch.runs[1].snapshot().batch_id.empty());      // the earlier run, outside the batch
    CHECK(executions == 2 * (2 + 3));
    CHECK(rt.list({.limit = 1000}).runs.size() == 2 * (2 + 3));
}

TEMPLATE_LIST_TEST_CASE("conformance: a batch racing single triggers on one idempotency key creates one run",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::task<int> t({.id = "batch-race", .run = [&](const int&) { ++runs; }}, reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    for (int round = 0; round < 10; ++round) {
        const std::string key = "key-" + std::to_string(round);
        std::vector<std::string> ids(4);
        std::vector<std::string> batch_ids(3);
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i)
            threads.emplace_back(
                [&, i] { ids[static_cast<std::size_t>(i)] = rt.trigger(t, i, {.idempotency_key = key}).id(); });
        threads.emplace_back([&] {
            auto batch = rt.batch_trigger(t, {{10, {.idempotency_key = key}}, {11}, {12, {.idempotency_key = key}}});
            for (std::size_t i = 0; i < batch.runs.size(); ++i) batch_ids[i] = batch.runs[i].id();
        });
        for (auto& thread : threads) thread.join();
        for (const auto& id : ids) CHECK(id == ids.front());
        CHECK(batch_ids[0] == ids.front());
        CHECK(batch_ids[2] == ids.front());
        CHECK(batch_ids[1] != ids.front());
        REQUIRE(rt.handle(ids.front())->wait_for(taskkit_test::deadline));
        REQUIRE(rt.handle(batch_ids[1])->wait_for(taskkit_test::deadline));
    }
    CHECK(runs == 2 * 10);
}
