// Conformance: memoized steps (ctx.step) — a step's result is stored the first time it completes,
// and a later attempt of the same run returns it without running the step again; and a handle
// made from a run's id follows the run like the handle its trigger returned.
#include <atomic>
#include <stdexcept>
#include <string>

#include "conformance.hpp"

using namespace taskkit_test;
using namespace std::chrono_literals;
using taskkit::run_status;

TEMPLATE_LIST_TEST_CASE("conformance: a step completed in a failed attempt is not run again by the next attempt",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<int> charges{0};
    std::atomic<int> emails{0};
    std::atomic<int> attempts{0};
    taskkit::task<int, std::string> order(
        {.id = "order",
         .retry = {.max_attempts = 3, .min_timeout = 1ms, .max_timeout = 1ms, .randomize = false},
         .run =
             [&](const int& amount, taskkit::run_context& ctx) {
                 ++attempts;
                 const auto receipt = ctx.step("charge-card", [&] {
                     ++charges;
                     return "receipt-" + std::to_string(amount);
                 });
                 ctx.step("send-email", [&] { ++emails; });  // a step with no result
                 if (ctx.attempt().number < 3) throw std::runtime_error("the warehouse is down");
                 return receipt;
             }},
        reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    auto handle = rt.trigger(order, 42);
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.status() == run_status::completed);
    CHECK(handle.get() == "receipt-42");
    CHECK(attempts == 3);
    CHECK(charges == 1);  // once, in the first attempt; attempts 2 and 3 read the stored receipt
    CHECK(emails == 1);
}

TEMPLATE_LIST_TEST_CASE("conformance: a throwing step stores nothing, and a step is per run and per key",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<int> tries{0};
    std::atomic<int> other{0};
    taskkit::task<int, int> flaky(
        {.id = "flaky-step",
         .retry = {.max_attempts = 3, .min_timeout = 1ms, .max_timeout = 1ms, .randomize = false},
         .run =
             [&](const int& n, taskkit::run_context& ctx) {
                 const int a = ctx.step("a", [&] {
                     if (++tries < 2) throw std::runtime_error("not yet");
                     return n * 10;
                 });
                 const int b = ctx.step("b", [&] { return ++other; });
                 return a + b;
             }},
        reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    auto first = rt.trigger(flaky, 1);
    REQUIRE(first.wait_for(deadline));
    CHECK(first.get() == 10 + 1);
    CHECK(tries == 2);  // the throw stored nothing: the second attempt ran the step again
    auto second = rt.trigger(flaky, 2);
    REQUIRE(second.wait_for(deadline));
    CHECK(second.get() == 20 + 2);  // another run: its own steps
    CHECK(tries == 3);
}

TEMPLATE_LIST_TEST_CASE(
    "conformance: a stored step result of another type is a payload_error, and an empty key is refused",
    "[conformance]", conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int> typed({.id = "typed-step",
                              .retry = {.max_attempts = 2, .min_timeout = 1ms, .max_timeout = 1ms, .randomize = false},
                              .run =
                                  [](const int&, taskkit::run_context& ctx) {
                                      if (ctx.attempt().number == 1) {
                                          ctx.step("value", [] { return std::string("text"); });
                                          throw std::runtime_error("again");
                                      }
                                      (void)ctx.step("value", [] { return 5; });  // stored as a string
                                  }},
                             reg);
    taskkit::task<int> empty_key({.id = "empty-key",
                                  .retry = {.max_attempts = 1},
                                  .run = [](const int&, taskkit::run_context& ctx) { ctx.step("", [] { return 1; }); }},
                                 reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    auto a = rt.trigger(typed, 0);
    REQUIRE(a.wait_for(deadline));
    CHECK(a.status() == run_status::failed);
    REQUIRE(a.snapshot().error.has_value());
    CHECK(a.snapshot().error->type == "taskkit::payload_error");
    auto b = rt.trigger(empty_key, 0);
    REQUIRE(b.wait_for(deadline));
    CHECK(b.status() == run_status::failed);
    CHECK(b.snapshot().error->type == "taskkit::options_error");
}

TEMPLATE_LIST_TEST_CASE("conformance: a handle made from a run's id reports its status, waits and returns its result",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    gate release;
    taskkit::task<int, int> slow({.id = "slow-by-id",
                                  .run =
                                      [&](const int& n) {
                                          release.wait();
                                          return n * 2;
                                      }},
                                 reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    const auto id = rt.trigger(slow, 21).id();
    auto by_id = rt.handle(id);
    REQUIRE(by_id.has_value());
    CHECK(by_id->id() == id);
    CHECK_FALSE(by_id->wait_for(1ms));
    CHECK_FALSE(is_terminal(by_id->status()));
    release.open();
    REQUIRE(by_id->wait_for(deadline));
    CHECK(by_id->status() == run_status::completed);
    CHECK(by_id->get() == nlohmann::json(42));
    CHECK_FALSE(rt.handle("run_00000000000000000000").has_value());
}

TEMPLATE_LIST_TEST_CASE("conformance: retry() keeps a run's completed steps, replay() starts without them",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<int> calls{0};
    std::atomic<bool> may_finish{false};
    taskkit::task<int, int> t({.id = "retry-steps",
                               .retry = {.max_attempts = 1},
                               .run =
                                   [&](const int& n, taskkit::run_context& ctx) {
                                       const int v = ctx.step("once", [&] { return n + ++calls; });
                                       if (!may_finish) throw std::runtime_error("not yet");
                                       return v;
                                   }},
                              reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    auto handle = rt.trigger(t, 100);
    REQUIRE(handle.wait_for(deadline));
    REQUIRE(handle.status() == run_status::failed);
    may_finish = true;
    handle.retry();
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.get() == 101);  // the stored step, not a second call
    CHECK(calls == 1);
    auto copy = handle.replay();
    REQUIRE(copy.wait_for(deadline));
    CHECK(copy.get() == 102);  // a new run: its own step
    CHECK(calls == 2);
}
