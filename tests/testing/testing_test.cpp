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

TEST_CASE("run_inline keeps a run's streams and the metadata its children changed on the record") {
    taskkit::registry reg;
    taskkit::task<int> part(
        {.id = "part",
         .run = [](const int& n, taskkit::run_context& ctx) { ctx.metadata().parent().increment("done", n); }},
        reg);
    taskkit::task<int, int> whole({.id = "whole",
                                   .run =
                                       [&](const int& n, taskkit::run_context& ctx) {
                                           for (int i = 1; i <= n; ++i) {
                                               (void)part.trigger_and_wait(i);
                                               ctx.stream("progress").append(i);
                                           }
                                           return static_cast<int>(ctx.metadata().get("done").get<std::int64_t>());
                                       }},
                                  reg);
    auto run = taskkit::testing::run_inline(whole, 4, {}, {.registry = &reg});
    REQUIRE(run.outcome.ok());
    CHECK(run.outcome.output() == 1 + 2 + 3 + 4);
    CHECK(run.record.metadata["done"] == 10);
    REQUIRE(run.record.streams.count("progress") == 1);
    CHECK(run.record.streams["progress"].chunks == std::vector<json>{1, 2, 3, 4});
}

TEST_CASE("a metadata change is applied whole or not at all") {
    json m = json::object();
    taskkit::apply(m, {taskkit::metadata_operation::increment, "n", 2});
    taskkit::apply(m, {taskkit::metadata_operation::increment, "n", 0.5});
    CHECK(m["n"] == 2.5);
    taskkit::apply(m, {taskkit::metadata_operation::append, "log", "a"});
    taskkit::apply(m, {taskkit::metadata_operation::set, "s", "text"});
    const auto before = m;
    CHECK_THROWS_AS(taskkit::apply(m, {taskkit::metadata_operation::append, "s", 1}), taskkit::options_error);
    CHECK_THROWS_AS(taskkit::apply(m, {taskkit::metadata_operation::increment, "log", 1}), taskkit::options_error);
    CHECK_THROWS_AS(taskkit::apply(m, {taskkit::metadata_operation::increment, "n", "one"}), taskkit::options_error);
    json deep = 1;
    for (int i = 0; i < 300; ++i) deep = json::array({deep});
    CHECK_THROWS_AS(taskkit::apply(m, {taskkit::metadata_operation::set, "deep", deep}), taskkit::options_error);
    CHECK(m == before);
    taskkit::apply(m, {taskkit::metadata_operation::remove, "s", nullptr});
    CHECK(!m.contains("s"));
    json not_an_object = 3;
    taskkit::apply(not_an_object, {taskkit::metadata_operation::set, "k", true});
    CHECK(not_an_object == json{{"k", true}});
}
