// Waits inside runs (ctx.wait_for / wait_until), wait_all / wait_any, retry::on_throw, deep chains.
#include <taskkit/testing.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;

TEST_CASE("ctx.wait_for releases the slot, follows the virtual clock and resumes") {
    taskkit::registry reg;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    gate other_ran;
    taskkit::task<int, bool> t({.id = "sleeper",
                                .queue = {.concurrency_limit = 1},
                                .run =
                                    [&](const int& n, taskkit::run_context& ctx) {
                                        if (n == 1) {
                                            other_ran.open();
                                            return true;
                                        }
                                        return ctx.wait_for(std::chrono::hours(1));
                                    }},
                               reg);
    taskkit::runtime rt(options(reg, 2, clock));
    auto sleeper = rt.trigger(t, 0);
    REQUIRE(eventually([&] { return sleeper.status() == taskkit::run_status::waiting; }));
    auto other = rt.trigger(t, 1);  // the only slot is free while the sleeper waits
    REQUIRE(other_ran.wait());
    clock->advance(std::chrono::minutes(59));
    CHECK_FALSE(sleeper.wait_for(std::chrono::milliseconds(20)));
    clock->advance(std::chrono::minutes(1));
    CHECK(sleeper.get() == true);
}

TEST_CASE("ctx.wait_until wakes early when the run is canceled") {
    taskkit::registry reg;
    taskkit::task<int, bool> t(
        {.id = "until",
         .run = [&](const int&,
                    taskkit::run_context& ctx) { return ctx.wait_until(ctx.now() + std::chrono::hours(24)); }},
        reg);
    taskkit::runtime rt(options(reg, 2));
    auto h = rt.trigger(t, 0);
    REQUIRE(eventually([&] { return h.status() == taskkit::run_status::waiting; }));
    h.cancel();
    REQUIRE(h.wait_for(deadline));
    CHECK(h.status() == taskkit::run_status::canceled);
}

TEST_CASE("waits take no real time in the testing harness") {
    taskkit::registry reg;
    taskkit::task<int, int> t({.id = "harness-wait",
                               .run =
                                   [](const int& n, taskkit::run_context& ctx) {
                                       for (int i = 0; i < n; ++i) ctx.wait_for(std::chrono::hours(24));
                                       return n;
                                   }},
                              reg);
    const auto run = taskkit::testing::run_inline(t, 7, {}, {.registry = &reg});
    CHECK(run.outcome.output() == 7);
    CHECK(*run.record.finished_at - run.record.created_at == std::chrono::hours(24 * 7));
}

TEST_CASE("wait_any returns the first to finish and leaves the others running") {
    taskkit::registry reg;
    gate slow_release;
    taskkit::task<int, int> t({.id = "race",
                               .run =
                                   [&](const int& n) {
                                       if (n == 0) slow_release.wait();
                                       return n;
                                   }},
                              reg);
    taskkit::runtime rt(options(reg, 3));
    auto slow = rt.trigger(t, 0);
    auto fast = rt.trigger(t, 1);
    CHECK(taskkit::wait_any(slow, fast) == 1);
    CHECK(fast.status() == taskkit::run_status::completed);
    CHECK_FALSE(taskkit::is_terminal(slow.status()));
    slow_release.open();
    taskkit::wait_all(slow, fast);
    CHECK(slow.get() == 0);
}

TEST_CASE("wait_all and wait_any over vectors, inside a run") {
    taskkit::registry reg;
    worker_checks checks;
    taskkit::task<int, int> leaf({.id = "leaf", .run = [](const int& n) { return n; }}, reg);
    taskkit::task<int, int> parent({.id = "fan-out",
                                    .queue = {.concurrency_limit = 1},
                                    .run =
                                        [&](const int& n) {
                                            std::vector<taskkit::run_handle<int>> hs;
                                            for (int i = 0; i < n; ++i) hs.push_back(leaf.trigger(i));
                                            const auto first = taskkit::wait_any(hs);
                                            WORKER_CHECK(checks, taskkit::is_terminal(hs[first].status()));
                                            taskkit::wait_all(hs);
                                            int sum = 0;
                                            for (auto& h : hs) sum += h.get();
                                            return sum;
                                        }},
                                   reg);
    taskkit::runtime rt(options(reg, 1));
    CHECK(rt.trigger(parent, 10).get() == 45);
    CHECK(checks.failures() == no_failures);
    CHECK(checks.count() == 1);
    std::vector<taskkit::run_handle<int>> none;
    CHECK_THROWS_AS(taskkit::wait_any(none), taskkit::state_error);
}

TEST_CASE("wait_any_for and wait_all_for give up after their timeout") {
    taskkit::registry reg;
    gate release;
    taskkit::task<int> t({.id = "stuck", .run = [&](const int&) { release.wait(); }}, reg);
    taskkit::runtime rt(options(reg, 2));
    std::vector<taskkit::run_handle<void>> hs{rt.trigger(t, 0)};
    CHECK_FALSE(taskkit::wait_any_for(std::chrono::milliseconds(10), hs).has_value());
    CHECK_FALSE(taskkit::wait_all_for(std::chrono::milliseconds(10), hs));
    release.open();
    CHECK(taskkit::wait_all_for(deadline, hs));
}

TEST_CASE("retry::on_throw retries a block with the backoff formula, abort_run passes through") {
    taskkit::registry reg;
    std::atomic<int> calls{0};
    taskkit::task<int, int> t(
        {.id = "on-throw",
         .retry = {.max_attempts = 1},
         .run =
             [&](const int& n, taskkit::run_context&) {
                 return taskkit::retry::on_throw(
                     [&] {
                         if (++calls < n) throw std::runtime_error("flaky");
                         return calls.load();
                     },
                     {.max_attempts = 4, .min_timeout = std::chrono::seconds(1), .randomize = false});
             }},
        reg);
    const auto ok = taskkit::testing::run_inline(t, 3, {}, {.registry = &reg});
    CHECK(ok.outcome.output() == 3);
    CHECK(ok.record.attempts.size() == 1);                                            // retried inside one attempt
    CHECK(*ok.record.finished_at - ok.record.created_at == std::chrono::seconds(3));  // 1 s + 2 s
    calls = 0;
    const auto exhausted = taskkit::testing::run_inline(t, 10, {}, {.registry = &reg});
    CHECK(exhausted.record.status == taskkit::run_status::failed);
    CHECK(calls == 4);

    int aborts = 0;
    CHECK_THROWS_AS(taskkit::retry::on_throw([&]() -> int {
                        ++aborts;
                        throw taskkit::abort_run("no");
                    }),
                    taskkit::abort_run);
    CHECK(aborts == 1);
}

TEST_CASE("parent → child → grandchild → great-grandchild on one queue of 1, one worker") {
    taskkit::registry reg;
    const taskkit::queue serial({.name = "serial", .concurrency_limit = 1}, reg);
    taskkit::task<int, int> level({.id = "level", .queue = serial, .run = [](const int&) { return 0; }}, reg);
    std::function<int(int)> descend;
    taskkit::task<int, int> chain({.id = "chain",
                                   .queue = serial,
                                   .run = [&](const int& depth) { return depth == 0 ? 1 : descend(depth - 1) + 1; }},
                                  reg);
    descend = [&](int depth) { return chain.trigger_and_wait(depth).unwrap(); };
    taskkit::runtime rt(options(reg, 1));
    auto h = rt.trigger(chain, 3);  // four levels
    REQUIRE(h.wait_for(deadline));
    CHECK(h.get() == 4);
}

TEST_CASE("1,000 parents each waiting on 10 children on 2 workers complete without deadlock") {
    taskkit::registry reg;
    taskkit::task<int, int> child({.id = "kid", .run = [](const int& n) { return n; }}, reg);
    taskkit::task<int, int> parent({.id = "mom",
                                    .run =
                                        [&](const int& n) {
                                            std::vector<taskkit::batch_item<int>> items;
                                            for (int i = 0; i < 10; ++i) items.emplace_back(n + i);
                                            int sum = 0;
                                            for (auto& r : child.batch_trigger_and_wait(std::move(items)).results)
                                                sum += r.unwrap();
                                            return sum;
                                        }},
                                   reg);
    taskkit::runtime rt(options(reg, 2));
    std::vector<taskkit::run_handle<int>> hs;
    for (int i = 0; i < 1000; ++i) hs.push_back(rt.trigger(parent, i));
    for (int i = 0; i < 1000; ++i) {
        REQUIRE(hs[i].wait_for(deadline));
        CHECK(hs[i].get() == 10 * i + 45);
    }
}
