// trigger_and_wait inside runs: results, released slots, nested chains, no pool starvation.
#include <taskkit/testing.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;

TEST_CASE("a parent gets its child's result, and the child records its parent") {
    taskkit::registry reg;
    worker_checks checks;
    taskkit::task<int, int> square({.id = "square", .run = [](const int& n) { return n * n; }}, reg);
    taskkit::task<int, int> failing({.id = "failing-child",
                                     .retry = {.max_attempts = 1},
                                     .run = [](const int&) -> int { throw std::runtime_error("child broke"); }},
                                    reg);
    taskkit::task<int, int> parent({.id = "parent",
                                    .run =
                                        [&](const int& n, taskkit::run_context& ctx) {
                                            auto ok = square.trigger_and_wait(n);
                                            WORKER_CHECK(checks, ok.ok());
                                            auto bad = failing.trigger_and_wait(n);
                                            WORKER_CHECK(checks, !bad.ok());
                                            WORKER_CHECK(checks, bad.error().message == "child broke");
                                            WORKER_CHECK_THROWS_AS(checks, bad.unwrap(), std::runtime_error);
                                            ctx.logger().info("child said {}", ok.output());
                                            return ok.unwrap() + 1;
                                        }},
                                   reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(parent, 6);
    CHECK(h.get() == 37);
    CHECK(checks.failures() == no_failures);
    CHECK(checks.count() == 4);
    const auto record = h.snapshot();
    REQUIRE(record.children.size() == 2);
    const auto child = rt.retrieve(record.children[0]);
    REQUIRE(child.has_value());
    CHECK(child->parent_id == h.id());
    CHECK(child->task_id == "square");
    CHECK(child->output == 36);
}

TEST_CASE("parent → child → grandchild on one queue with limit 1 and one worker completes") {
    taskkit::registry reg;
    const taskkit::queue_options q{.name = "serial", .concurrency_limit = 1};
    taskkit::task<int, int> grandchild({.id = "grandchild", .queue = q, .run = [](const int& n) { return n + 1; }},
                                       reg);
    taskkit::task<int, int> child(
        {.id = "child",
         .queue = q,
         .run = [&](const int& n) { return grandchild.trigger_and_wait(n + 1).unwrap() + 1; }},
        reg);
    taskkit::task<int, int> parent({.id = "chain-parent",
                                    .queue = q,
                                    .run = [&](const int& n) { return child.trigger_and_wait(n + 1).unwrap() + 1; }},
                                   reg);
    taskkit::runtime rt(options(reg, 1));
    auto h = rt.trigger(parent, 0);
    REQUIRE(h.wait_for(deadline));
    CHECK(h.get() == 5);
}

TEST_CASE("the same chain completes on a runtime without threads (testing harness)") {
    taskkit::registry reg;
    const taskkit::queue_options q{.name = "serial", .concurrency_limit = 1};
    taskkit::task<int, int> leaf({.id = "leaf", .queue = q, .run = [](const int& n) { return n * 10; }}, reg);
    taskkit::task<int, int> mid(
        {.id = "mid", .queue = q, .run = [&](const int& n) { return leaf.trigger_and_wait(n).unwrap() + 1; }}, reg);
    taskkit::task<int, int> top(
        {.id = "top", .queue = q, .run = [&](const int& n) { return mid.trigger_and_wait(n).unwrap() + 1; }}, reg);
    auto run = taskkit::testing::run_inline(top, 4, {}, {.registry = &reg});
    CHECK(run.outcome.output() == 42);
}

TEST_CASE("a waiting parent gives up its slot: a sibling on the same queue runs meanwhile") {
    taskkit::registry reg;
    worker_checks checks;
    gate child_may_finish;
    gate sibling_ran;
    taskkit::task<int> slow_child({.id = "slow-child", .run = [&](const int&) { child_may_finish.wait(); }}, reg);
    taskkit::task<int> limited({.id = "limited-parent",
                                .queue = {.concurrency_limit = 1},
                                .run =
                                    [&](const int& n, taskkit::run_context& ctx) {
                                        if (n == 0) {
                                            auto r = slow_child.trigger_and_wait(0);
                                            WORKER_CHECK(checks, r.ok());
                                        } else {
                                            WORKER_CHECK(checks, ctx.queue().concurrency_limit == 1);
                                            sibling_ran.open();
                                        }
                                    }},
                               reg);
    taskkit::runtime rt(options(reg, 2));
    auto parent = rt.trigger(limited, 0);
    REQUIRE(eventually([&] { return parent.status() == taskkit::run_status::waiting; }));
    auto sibling = rt.trigger(limited, 1);
    REQUIRE(sibling_ran.wait());  // ran while the parent waited: the slot was free
    child_may_finish.open();
    REQUIRE(parent.wait_for(deadline));
    REQUIRE(sibling.wait_for(deadline));
    CHECK(parent.status() == taskkit::run_status::completed);
    CHECK(checks.failures() == no_failures);
    CHECK(checks.count() == 2);
}

TEST_CASE("many parents each waiting on children do not starve a small pool") {
    taskkit::registry reg;
    taskkit::task<int, int> leaf({.id = "fan-leaf", .run = [](const int& n) { return n; }}, reg);
    taskkit::task<int, int> fan({.id = "fan",
                                 .run =
                                     [&](const int& n) {
                                         int sum = 0;
                                         for (int i = 0; i < 10; ++i) sum += leaf.trigger_and_wait(n + i).unwrap();
                                         return sum;
                                     }},
                                reg);
    taskkit::runtime rt(options(reg, 2));
    std::vector<taskkit::run_handle<int>> handles;
    for (int i = 0; i < 200; ++i) handles.push_back(rt.trigger(fan, i));
    for (int i = 0; i < 200; ++i) {
        REQUIRE(handles[i].wait_for(deadline));
        CHECK(handles[i].get() == 10 * i + 45);
    }
}

TEST_CASE("a parent blocked on a running child parks its thread and a spare keeps the pool busy") {
    taskkit::registry reg;
    gate child_started;
    gate release;
    gate independent_ran;
    taskkit::task<int> child({.id = "running-child",
                              .run =
                                  [&](const int&) {
                                      child_started.open();
                                      release.wait();
                                  }},
                             reg);
    taskkit::task<int> parent({.id = "blocked-parent",
                               .run =
                                   [&](const int&) {
                                       auto h = child.trigger(0);
                                       if (!child_started.wait()) return;  // the child runs on the other worker
                                       h.wait();                           // cannot hand off: it is already running
                                   }},
                              reg);
    taskkit::task<int> independent({.id = "independent", .run = [&](const int&) { independent_ran.open(); }}, reg);
    taskkit::runtime rt(options(reg, 2));
    auto p = rt.trigger(parent, 0);
    REQUIRE(eventually([&] { return p.status() == taskkit::run_status::waiting; }));
    // Both original workers are occupied (one blocked, one running the child), yet new work runs.
    auto other = rt.trigger(independent, 0);
    REQUIRE(independent_ran.wait());
    release.open();
    REQUIRE(p.wait_for(deadline));
    REQUIRE(other.wait_for(deadline));
    CHECK(rt.core()->thread_count() >= 3);
}

TEST_CASE("canceling a parent cancels its executing children") {
    taskkit::registry reg;
    gate child_started;
    taskkit::task<int> child({.id = "cancel-child",
                              .run =
                                  [&](const int&, taskkit::run_context& ctx) {
                                      child_started.open();
                                      wait_for_stop(ctx);
                                  }},
                             reg);
    worker_checks checks;
    taskkit::task<int> parent({.id = "cancel-parent",
                               .run =
                                   [&](const int&) {
                                       // Either the child (run inline here) ends canceled first, or the
                                       // wait is cut short and throws canceled_error.
                                       try {
                                           const auto status = child.trigger_and_wait(0).status();
                                           WORKER_CHECK(checks, status == taskkit::run_status::canceled);
                                       } catch (const taskkit::canceled_error&) {
                                       }
                                   }},
                              reg);
    taskkit::runtime rt(options(reg, 2));
    auto p = rt.trigger(parent, 0);
    REQUIRE(child_started.wait());
    REQUIRE(p.cancel());
    REQUIRE(p.wait_for(deadline));
    CHECK(p.status() == taskkit::run_status::canceled);
    const auto record = p.snapshot();
    REQUIRE(record.children.size() == 1);
    REQUIRE(eventually([&] { return rt.retrieve(record.children[0])->status == taskkit::run_status::canceled; }));
    CHECK(checks.failures() == no_failures);
}

TEST_CASE("waiting inside a run with a timeout returns and takes the slot back") {
    taskkit::registry reg;
    gate release;
    taskkit::task<int> child({.id = "never-done", .run = [&](const int&) { release.wait(); }}, reg);
    taskkit::task<int, bool> parent({.id = "impatient",
                                     .queue = {.concurrency_limit = 1},
                                     .run =
                                         [&](const int&) {
                                             auto h = child.trigger(0);
                                             const bool done = h.wait_for(std::chrono::milliseconds(10));
                                             release.open();
                                             return done;
                                         }},
                                    reg);
    taskkit::runtime rt(options(reg, 2));
    auto p = rt.trigger(parent, 0);
    CHECK_FALSE(p.get());
}

TEST_CASE("timed waits on a long run leave no callbacks behind on it") {
    taskkit::registry reg;
    gate release;
    taskkit::task<int, int> slow({.id = "slow",
                                  .run =
                                      [&release](const int& n) {
                                          release.wait();
                                          return n;
                                      }},
                                 reg);
    taskkit::runtime rt(options(reg));
    auto handle = rt.trigger(slow, 7);
    for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(handle.wait_for(std::chrono::microseconds(10)));
    const auto run = std::static_pointer_cast<taskkit::detail::run_state>(rt.core()->runs().local(handle.id()));
    REQUIRE(run);
    {
        std::lock_guard lock(run->mutex);
        const auto* extras = run->extras_if_any();
        CHECK((extras == nullptr || extras->finish_callbacks.empty()));
    }
    release.open();
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.get() == 7);
}
