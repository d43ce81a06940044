// Hostile values and callbacks at the runtime's edges: durations beyond the clock's range saturate
// instead of wrapping; user callables that throw (log sink, random source) never reach a worker;
// a timed wait on the testing harness measures real time and leaves the virtual clock alone.
#include <taskkit/testing.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using namespace std::chrono_literals;
using taskkit::run_status;

namespace {
constexpr auto three_centuries = std::chrono::hours(24 * 365 * 300);
}

TEST_CASE("a delay of 300 years keeps the run delayed, due in the far future, instead of running at once") {
    taskkit::registry reg;
    std::atomic<int> ran{0};
    taskkit::task<int> t({.id = "far", .run = [&](const int&) { ++ran; }}, reg);
    taskkit::testing::harness h({.registry = &reg});
    auto handle = h.runtime().trigger(t, 0, {.delay = three_centuries});
    h.runtime().core()->run_ready();
    CHECK(handle.status() == run_status::delayed);
    const auto record = handle.snapshot();
    REQUIRE(record.run_at.has_value());
    CHECK(*record.run_at > h.clock().now() + std::chrono::hours(24 * 365 * 100));
    CHECK(ran == 0);
    h.runtime().reschedule(handle.id(), three_centuries);
    CHECK(handle.status() == run_status::delayed);
    CHECK(*handle.snapshot().run_at > h.clock().now());
    CHECK(handle.cancel());
}

TEST_CASE("ttl, max_duration and idempotency_key_ttl past the clock's range never expire or time out at once") {
    taskkit::registry reg;
    taskkit::task<int, int> echo({.id = "echo", .run = [](const int& n) { return n; }}, reg);
    taskkit::testing::harness h({.registry = &reg});
    auto a = h.runtime().trigger(echo, 1, {.ttl = std::chrono::milliseconds::max()});
    CHECK(a.get() == 1);
    auto b = h.runtime().trigger(echo, 2, {.max_duration = std::chrono::milliseconds::max()});
    CHECK(b.get() == 2);
    auto c = h.runtime().trigger(echo, 3, {.max_duration = three_centuries});
    CHECK(c.get() == 3);
    auto d = h.runtime().trigger(echo, 4, {.idempotency_key = "k", .idempotency_key_ttl = three_centuries});
    auto e = h.runtime().trigger(echo, 5, {.idempotency_key = "k", .idempotency_key_ttl = three_centuries});
    CHECK(e.is_cached());
    CHECK(e.id() == d.id());
    auto f =
        h.runtime().trigger(echo, 6, {.idempotency_key = "m", .idempotency_key_ttl = std::chrono::milliseconds::max()});
    auto g = h.runtime().trigger(echo, 7, {.idempotency_key = "m"});
    CHECK(g.is_cached());
    CHECK(f.get() == 6);
}

TEST_CASE("a wait of 300 years inside a run and a handle wait_for of milliseconds::max do not wrap") {
    taskkit::registry reg;
    std::atomic<int> waited{-1};
    taskkit::task<int> sleeper(
        {.id = "sleeper",
         .run = [&](const int&, taskkit::run_context& ctx) { waited = ctx.wait_for(three_centuries) ? 1 : 0; }},
        reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(sleeper, 0);
    REQUIRE(eventually([&] { return h.status() == run_status::waiting; }));
    CHECK_FALSE(h.wait_for(std::chrono::milliseconds(1)));
    h.cancel();
    CHECK(h.wait_for(std::chrono::milliseconds::max()));
    CHECK(waited == 0);
}

TEST_CASE("a log sink that throws never reaches the worker: the run goes on and the failure is recorded") {
    taskkit::registry reg;
    taskkit::task<int, int> noisy(
        {.id = "noisy",
         .run =
             [](const int& n, taskkit::run_context& ctx) {
                 ctx.logger().info("working on {}", n);
                 return n;
             },
         .on_success = [](const int&, const int&, taskkit::run_context&) { throw std::runtime_error("hook broke"); }},
        reg);
    auto opts = options(reg);
    opts.log_sink = [](const taskkit::log_entry&) { throw std::runtime_error("sink broke"); };
    taskkit::runtime rt(opts);
    auto h = rt.trigger(noisy, 9);
    CHECK(h.get() == 9);
    const auto record = h.snapshot();
    CHECK(record.status == run_status::completed);
    bool sink_recorded = false;
    bool hook_recorded = false;
    for (const auto& e : record.hook_errors) {
        if (e.message.find("log_sink threw: sink broke") != std::string::npos) sink_recorded = true;
        if (e.message.find("on_success threw: hook broke") != std::string::npos) hook_recorded = true;
    }
    CHECK(sink_recorded);
    CHECK(hook_recorded);
    REQUIRE_FALSE(record.logs.empty());
    CHECK(record.logs.front().message == "working on 9");
}

TEST_CASE("a random source that throws during a retry decision is recorded, the run retries without jitter") {
    taskkit::registry reg;
    std::atomic<int> attempts{0};
    taskkit::task<int, int> flaky({.id = "flaky",
                                   .retry = {.max_attempts = 3, .min_timeout = 10ms, .randomize = true},
                                   .run =
                                       [&](const int& n) {
                                           if (++attempts < 2) throw std::runtime_error("once");
                                           return n;
                                       }},
                                  reg);
    taskkit::testing::harness h(
        {.random = []() -> double { throw std::runtime_error("no entropy"); }, .registry = &reg});
    auto handle = h.runtime().trigger(flaky, 5);
    CHECK(handle.get() == 5);
    const auto record = handle.snapshot();
    REQUIRE(record.attempts.size() == 2);
    CHECK(record.attempts[1].started_at - *record.attempts[0].finished_at == 10ms);
    bool recorded = false;
    for (const auto& e : record.hook_errors)
        if (e.message.find("random threw: no entropy") != std::string::npos) recorded = true;
    CHECK(recorded);
}

TEST_CASE("on the testing harness, handle.wait_for measures real time and leaves the virtual clock alone") {
    taskkit::registry reg;
    taskkit::task<int, int> echo({.id = "echo", .run = [](const int& n) { return n; }}, reg);
    taskkit::testing::harness h({.registry = &reg});
    auto later = h.runtime().trigger(echo, 1, {.delay = std::chrono::hours(1)});
    auto now = h.runtime().trigger(echo, 2);
    const auto before = h.clock().now();
    CHECK_FALSE(later.wait_for(50ms));  // runs what is runnable now; an hour of virtual time does not pass
    CHECK(h.clock().now() == before);
    CHECK(later.status() == run_status::delayed);
    CHECK(now.status() == run_status::completed);  // the wait ran what it could
    CHECK(later.get() == 1);                       // an unbounded wait does move the virtual clock
    CHECK(h.clock().now() == before + std::chrono::hours(1));
}
