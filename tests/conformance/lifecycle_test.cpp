// Conformance: creating runs (idempotency, also under races), delays, ttl, retries with their exact
// delays, cancel and its cascade, retry(), reschedule — the states a backend moves a run through.
#include <thread>

#include "conformance.hpp"

using namespace taskkit_test;
using namespace std::chrono_literals;
using taskkit::run_status;

TEMPLATE_LIST_TEST_CASE("conformance: an idempotency key answers with the first run and starts nothing",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::task<int, int> t({.id = "idem",
                               .run =
                                   [&](const int& n) {
                                       ++runs;
                                       return n;
                                   }},
                              reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto first = h.runtime().trigger(t, 1, {.idempotency_key = "order-7"});
    auto second = h.runtime().trigger(t, 2, {.idempotency_key = "order-7"});
    CHECK_FALSE(first.is_cached());
    CHECK(second.is_cached());
    CHECK(second.id() == first.id());
    CHECK(second.get() == 1);
    auto by_id = h.runtime().trigger("idem", nlohmann::json(9), {.idempotency_key = "order-7"});
    CHECK(by_id.id() == first.id());
    CHECK(runs == 1);
    // A failed run releases its key; the key also expires after its ttl.
    taskkit::task<int> failing(
        {.id = "idem-fail", .retry = {.max_attempts = 1}, .run = [](const int&) { throw std::runtime_error("no"); }},
        reg);
    auto a = h.runtime().trigger(failing, 1, {.idempotency_key = "k"});
    a.wait();
    auto b = h.runtime().trigger(failing, 2, {.idempotency_key = "k"});
    CHECK_FALSE(b.is_cached());
    auto c = h.runtime().trigger(t, 3, {.idempotency_key = "short", .idempotency_key_ttl = 1min});
    c.wait();
    h.advance(2min);
    auto d = h.runtime().trigger(t, 4, {.idempotency_key = "short"});
    CHECK_FALSE(d.is_cached());
}

TEMPLATE_LIST_TEST_CASE("conformance: concurrent triggers with one idempotency key create exactly one run",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::task<int> t({.id = "idem-race", .run = [&](const int&) { ++runs; }}, reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    for (int round = 0; round < 20; ++round) {
        const std::string key = "key-" + std::to_string(round);
        std::vector<std::string> ids(6);
        std::vector<std::thread> threads;
        for (int i = 0; i < 6; ++i)
            threads.emplace_back(
                [&, i] { ids[static_cast<std::size_t>(i)] = rt.trigger(t, i, {.idempotency_key = key}).id(); });
        for (auto& thread : threads) thread.join();
        for (const auto& id : ids) CHECK(id == ids.front());
        REQUIRE(rt.handle(ids.front())->wait_for(deadline));
    }
    CHECK(runs == 20);
}

TEMPLATE_LIST_TEST_CASE("conformance: a delayed run starts at its time, can be rescheduled, and ttl expires it",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::vector<taskkit::time_point> started;
    taskkit::task<int> t(
        {.id = "delayed", .run = [&](const int&, taskkit::run_context& ctx) { started.push_back(ctx.now()); }}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    const auto t0 = h.clock().now();
    auto later = h.runtime().trigger(t, 1, {.delay = 10min});
    CHECK(later.status() == run_status::delayed);
    CHECK(later.snapshot().run_at == t0 + 10min);
    auto moved = h.runtime().trigger(t, 2, {.delay = 10min});
    h.runtime().reschedule(moved.id(), 30min);
    CHECK(moved.snapshot().run_at == t0 + 30min);
    CHECK_THROWS_AS(h.runtime().reschedule(later.id(), -1min), taskkit::options_error);
    auto expiring = h.runtime().trigger(t, 3, {.delay = 1h, .ttl = 5min});
    h.advance(10min);
    CHECK(later.status() == run_status::completed);
    CHECK(moved.status() == run_status::delayed);
    CHECK(expiring.status() == run_status::expired);
    CHECK(expiring.snapshot().attempts.empty());
    h.run_until_idle();
    CHECK(moved.status() == run_status::completed);
    REQUIRE(started.size() == 2);
    CHECK(started[0] == t0 + 10min);
    CHECK(started[1] == t0 + 30min);
    CHECK_THROWS_AS(h.runtime().reschedule(later.id(), 1min), taskkit::state_error);  // not delayed any more
}

TEMPLATE_LIST_TEST_CASE("conformance: retries follow the formula's exact delays, then the run fails", "[conformance]",
                        conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int> t(
        {.id = "flaky",
         .retry = {.max_attempts = 4, .factor = 2, .min_timeout = 1s, .max_timeout = 3s, .randomize = false},
         .run = [](const int&) { throw std::runtime_error("down"); }},
        reg);
    auto setup = conformance::harness<TestType>(reg);
    auto run = [&] {
        taskkit::testing::harness h(std::move(setup));
        auto handle = h.runtime().trigger(t, 0);
        handle.wait();
        return handle.snapshot();
    }();
    CHECK(run.status == run_status::failed);
    REQUIRE(run.attempts.size() == 4);
    const std::vector<std::chrono::milliseconds> expected{1s, 2s, 3s};
    for (std::size_t i = 1; i < run.attempts.size(); ++i)
        CHECK(run.attempts[i].started_at - *run.attempts[i - 1].finished_at == expected[i - 1]);
    REQUIRE(run.error.has_value());
    CHECK(run.error->message == "down");
}

TEMPLATE_LIST_TEST_CASE("conformance: cancel ends a queued run at once and cascades to an executing run's children",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::mutex mutex;
    std::vector<taskkit::run_handle<void>> children;
    gate children_started;
    taskkit::task<int> child({.id = "child", .run = [](const int&, taskkit::run_context& ctx) { wait_for_stop(ctx); }},
                             reg);
    taskkit::task<int> parent({.id = "parent",
                               .run =
                                   [&](const int&, taskkit::run_context& ctx) {
                                       {
                                           std::lock_guard lock(mutex);
                                           for (int i = 0; i < 3; ++i) children.push_back(child.trigger(i));
                                       }
                                       children_started.open();
                                       wait_for_stop(ctx);
                                   }},
                              reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 4));
    auto queued = rt.trigger(child, 9, {.delay = 1h});
    CHECK(rt.cancel(queued.id()));
    CHECK(queued.status() == run_status::canceled);
    CHECK_FALSE(rt.cancel(queued.id()));  // already ended
    CHECK_FALSE(rt.cancel("run_unknown"));
    auto p = rt.trigger(parent, 0);
    REQUIRE(children_started.wait());
    p.cancel();
    REQUIRE(p.wait_for(deadline));
    CHECK(p.status() == run_status::canceled);
    std::lock_guard lock(mutex);
    for (const auto& c : children) {
        REQUIRE(c.wait_for(deadline));
        CHECK(c.status() == run_status::canceled);
        CHECK(c.snapshot().parent_id == p.id());
    }
    CHECK(p.snapshot().children.size() == 3);
}

TEMPLATE_LIST_TEST_CASE("conformance: retry() queues a failed run again with its id and a fresh budget",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<int> attempts{0};
    taskkit::task<int, int> t({.id = "again",
                               .retry = {.max_attempts = 2, .min_timeout = 1s, .randomize = false},
                               .run =
                                   [&](const int& n) {
                                       if (++attempts <= 2) throw std::runtime_error("not yet");
                                       return n;
                                   }},
                              reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto handle = h.runtime().trigger(t, 5);
    handle.wait();
    CHECK(handle.status() == run_status::failed);
    handle.retry();
    CHECK(handle.get() == 5);
    const auto record = handle.snapshot();
    CHECK(record.attempts.size() == 3);
    CHECK(record.attempts.back().number == 3);              // numbers keep counting
    CHECK_THROWS_AS(handle.retry(), taskkit::state_error);  // completed runs are not retried
}
