// taskkit/testing.hpp: unit-testing tasks without threads or real time.
#include <taskkit/testing.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;

TEST_CASE("run_inline returns the record, the typed result and the delays between attempts") {
    taskkit::registry reg;
    taskkit::task<int, int> t({.id = "inline",
                               .retry = {.max_attempts = 3, .randomize = false},
                               .run =
                                   [](const int& n, taskkit::run_context& ctx) {
                                       ctx.logger().info("attempt {}", ctx.attempt().number);
                                       if (ctx.attempt().number < 3) throw std::runtime_error("flaky");
                                       return n * 2;
                                   }},
                              reg);
    const auto run = taskkit::testing::run_inline(t, 21, {}, {.registry = &reg});
    CHECK(run.outcome.output() == 42);
    CHECK(run.record.status == taskkit::run_status::completed);
    CHECK(run.record.attempts.size() == 3);
    CHECK(run.retry_delays == std::vector<std::chrono::milliseconds>{std::chrono::seconds(1), std::chrono::seconds(2)});
    REQUIRE(run.record.logs.size() == 3);
    CHECK(run.record.logs[2].message == "attempt 3");
    // Virtual time: the record's timestamps moved 3 s although no real time passed.
    CHECK(*run.record.finished_at - run.record.created_at == std::chrono::seconds(3));
}

TEST_CASE("the harness runs everything on the test's thread and moves time by hand") {
    taskkit::registry reg;
    const auto test_thread = std::this_thread::get_id();
    std::atomic<bool> same_thread{true};
    taskkit::task<int> t(
        {.id = "harnessed", .run = [&](const int&) { same_thread = std::this_thread::get_id() == test_thread; }}, reg);
    taskkit::testing::harness h({.registry = &reg});
    auto delayed = h.runtime().trigger(t, 1, {.delay = std::chrono::minutes(10)});
    auto now = h.runtime().trigger(t, 2);
    h.advance(std::chrono::minutes(1));
    CHECK(now.status() == taskkit::run_status::completed);
    CHECK(delayed.status() == taskkit::run_status::delayed);
    h.advance(std::chrono::minutes(9));
    CHECK(delayed.status() == taskkit::run_status::completed);
    CHECK(same_thread);
    CHECK(h.runtime().core()->thread_count() == 0);
}

TEST_CASE("the harness jumps the clock when nothing is runnable") {
    taskkit::registry reg;
    taskkit::task<int> t({.id = "jump", .run = [](const int&) {}}, reg);
    taskkit::testing::harness h({.registry = &reg});
    auto a = h.runtime().trigger(t, 1, {.delay = std::chrono::hours(24)});
    const auto start = h.clock().now();
    auto record = h.finish(a);
    CHECK(record.status == taskkit::run_status::completed);
    CHECK(h.clock().now() - start == std::chrono::hours(24));
}
