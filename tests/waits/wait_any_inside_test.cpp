// wait_any inside a run answers with the first run to end: a waiting run never executes a
// candidate inline when another candidate could end first.
#include "support/taskkit_test.hpp"

using namespace taskkit_test;

TEST_CASE("wait_any inside a run returns with the fast run while the slow one still runs, every time") {
    taskkit::registry reg;
    worker_checks checks;
    taskkit::task<int, int> sleeper({.id = "sleeper",
                                     .run =
                                         [](const int& ms, taskkit::run_context& ctx) {
                                             if (ms > 0) {  // the slow mirror: ends when canceled
                                                 wait_for_stop(ctx);
                                             }
                                             return ms;
                                         }},
                                    reg);
    taskkit::task<int, int> race({.id = "race",
                                  .run =
                                      [&](const int&, taskkit::run_context&) {
                                          auto slow = sleeper.trigger(1000);
                                          auto fast = sleeper.trigger(0);
                                          const std::size_t winner = taskkit::wait_any(slow, fast);
                                          WORKER_CHECK(checks, winner == 1);
                                          WORKER_CHECK(checks, !taskkit::is_terminal(slow.status()));
                                          slow.cancel();
                                          return static_cast<int>(winner);
                                      }},
                                 reg);
    taskkit::runtime rt(options(reg, 2));
    for (int i = 0; i < 40; ++i) {
        auto h = rt.trigger(race, i);
        // A race that ran the slow mirror inline would only end when its 30 s stop wait ran out.
        REQUIRE(h.wait_for(std::chrono::seconds(10)));
        CHECK(h.get() == 1);
    }
    CHECK(checks.failures() == no_failures);
    CHECK(checks.count() == 80);
}

TEST_CASE("wait_any inside a run with one candidate left may still run it inline (no deadlock on one worker)") {
    taskkit::registry reg;
    const taskkit::queue_options serial{.name = "serial-any", .concurrency_limit = 1};
    taskkit::task<int, int> leaf({.id = "any-leaf", .queue = serial, .run = [](const int& n) { return n + 1; }}, reg);
    taskkit::task<int, int> parent({.id = "any-parent",
                                    .queue = serial,
                                    .run =
                                        [&](const int& n) {
                                            auto only = leaf.trigger(n);
                                            (void)taskkit::wait_any(only);
                                            return only.get();
                                        }},
                                   reg);
    taskkit::runtime rt(options(reg, 1));
    auto h = rt.trigger(parent, 41);
    REQUIRE(h.wait_for(deadline));
    CHECK(h.get() == 42);
}
