// Trigger options: idempotency keys, delays (duration or time point), priority, queue override,
// batches.
#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;

TEST_CASE("an idempotency key returns the first run's handle and starts nothing") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::task<int, int> t({.id = "idem",
                               .run =
                                   [&](const int& n) {
                                       ++runs;
                                       return n;
                                   }},
                              reg);
    taskkit::runtime rt(options(reg));
    auto first = rt.trigger(t, 1, {.idempotency_key = "order-7"});
    CHECK_FALSE(first.is_cached());
    auto second = rt.trigger(t, 2, {.idempotency_key = "order-7"});
    CHECK(second.is_cached());
    CHECK(second.id() == first.id());
    CHECK(second.get() == 1);  // the first run's output
    // A different key, or the same key for another task, starts a new run.
    auto third = rt.trigger(t, 3, {.idempotency_key = "order-8"});
    CHECK_FALSE(third.is_cached());
    third.wait();
    CHECK(runs == 2);
    // Also through the by-id trigger.
    auto by_id = rt.trigger("idem", json(9), {.idempotency_key = "order-7"});
    CHECK(by_id.is_cached());
    CHECK(by_id.id() == first.id());
}

TEST_CASE("idempotent triggers from several threads at once start exactly one run") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::task<int> t({.id = "idem-race", .run = [&](const int&) { ++runs; }}, reg);
    taskkit::runtime rt(options(reg, 2));
    constexpr int threads = 8;
    std::vector<std::string> ids(threads);
    std::vector<std::thread> pool;
    std::atomic<bool> go{false};
    for (int i = 0; i < threads; ++i) {
        pool.emplace_back([&, i] {
            while (!go) std::this_thread::yield();
            ids[i] = rt.trigger(t, i, {.idempotency_key = "same"}).id();
        });
    }
    go = true;
    for (auto& th : pool) th.join();
    for (const auto& id : ids) CHECK(id == ids[0]);
    REQUIRE(rt.handle(ids[0])->wait_for(deadline));
    CHECK(runs == 1);
}

TEST_CASE("the key of a failed run is released, the key expires after its ttl") {
    taskkit::registry reg;
    std::atomic<bool> fail{true};
    taskkit::task<int> t({.id = "idem-fail",
                          .retry = {.max_attempts = 1},
                          .run =
                              [&](const int&) {
                                  if (fail) throw std::runtime_error("x");
                              }},
                         reg);
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::runtime rt(options(reg, 2, clock));
    auto failed = rt.trigger(t, 1, {.idempotency_key = "k"});
    REQUIRE(failed.wait_for(deadline));
    CHECK(failed.status() == taskkit::run_status::failed);
    fail = false;
    auto again = rt.trigger(t, 1, {.idempotency_key = "k"});
    CHECK_FALSE(again.is_cached());
    CHECK(again.id() != failed.id());
    REQUIRE(again.wait_for(deadline));
    CHECK(rt.trigger(t, 1, {.idempotency_key = "k", .idempotency_key_ttl = std::chrono::hours(1)}).is_cached());
    // A completed run's key lasts until its ttl (30 days by default).
    auto short_lived = rt.trigger(t, 1, {.idempotency_key = "short", .idempotency_key_ttl = std::chrono::minutes(1)});
    REQUIRE(short_lived.wait_for(deadline));
    CHECK(rt.trigger(t, 1, {.idempotency_key = "short"}).is_cached());
    clock->advance(std::chrono::minutes(1));
    CHECK_FALSE(rt.trigger(t, 1, {.idempotency_key = "short"}).is_cached());
}

TEST_CASE("a delay may be a time point, a delayed run can be rescheduled") {
    taskkit::registry reg;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::task<int> t({.id = "at", .run = [](const int&) {}}, reg);
    taskkit::runtime rt(options(reg, 2, clock));
    const auto start = clock->now();
    auto h = rt.trigger(t, 1, {.delay = start + std::chrono::hours(2)});
    CHECK(h.status() == taskkit::run_status::delayed);
    rt.reschedule(h.id(), std::chrono::minutes(10));
    CHECK(h.snapshot().run_at == start + std::chrono::minutes(10));
    clock->advance(std::chrono::minutes(10));
    REQUIRE(h.wait_for(deadline));
    CHECK(*h.snapshot().started_at == start + std::chrono::minutes(10));
    clock->advance(std::chrono::hours(3));  // the original time passes: nothing runs twice
    CHECK(h.snapshot().attempts.size() == 1);
    CHECK_THROWS_AS(rt.reschedule(h.id(), std::chrono::minutes(1)), taskkit::state_error);
    CHECK_THROWS_AS(rt.reschedule("run_nope", std::chrono::minutes(1)), taskkit::state_error);
    CHECK_THROWS_AS(rt.trigger(t, 1, {.delay = std::chrono::seconds(-1)}), taskkit::options_error);
}

TEST_CASE("priority: a run goes ahead of runs triggered up to that many seconds earlier") {
    taskkit::registry reg;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    event_log order;
    gate release;
    gate started;
    taskkit::task<std::string> t({.id = "prio",
                                  .queue = {.concurrency_limit = 1},
                                  .run =
                                      [&](const std::string& name) {
                                          if (name == "blocker") {
                                              started.open();
                                              release.wait();
                                          }
                                          order.add(name);
                                      }},
                                 reg);
    taskkit::runtime rt(options(reg, 2, clock));
    auto blocker = rt.trigger(t, "blocker");
    REQUIRE(started.wait());
    std::vector<taskkit::run_handle<void>> hs;
    hs.push_back(rt.trigger(t, "a"));  // t = 0
    clock->advance(std::chrono::seconds(10));
    hs.push_back(rt.trigger(t, "b"));  // t = 10
    clock->advance(std::chrono::seconds(10));
    hs.push_back(rt.trigger(t, "c", {.priority = 15}));  // t = 20, ranks as t = 5: after a, before b
    hs.push_back(rt.trigger(t, "d", {.priority = 60}));  // ranks as t = -40: first
    release.open();
    for (auto& h : hs) REQUIRE(h.wait_for(deadline));
    CHECK(order.get() == std::vector<std::string>{"blocker", "d", "a", "c", "b"});
}

TEST_CASE("a trigger can send a run to another declared queue") {
    taskkit::registry reg;
    const taskkit::queue slow_lane({.name = "slow-lane", .concurrency_limit = 1}, reg);
    peak_counter counter;
    taskkit::task<int> t({.id = "lane",
                          .run =
                              [&](const int&) {
                                  counter.enter();
                                  for (int i = 0; i < 100; ++i) std::this_thread::yield();
                                  counter.leave();
                              }},
                         reg);
    taskkit::runtime rt(options(reg, 4));
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 100; ++i) hs.push_back(rt.trigger(t, i, {.queue = "slow-lane"}));
    for (auto& h : hs) REQUIRE(h.wait_for(deadline));
    CHECK(counter.peak.load() == 1);
    CHECK(hs[0].snapshot().queue == "slow-lane");
    CHECK_THROWS_AS(rt.trigger(t, 1, {.queue = "no-such-queue"}), taskkit::options_error);
}

TEST_CASE("a shared taskkit::queue bounds every task that names it") {
    taskkit::registry reg;
    const taskkit::queue emails({.name = "emails", .concurrency_limit = 2}, reg);
    peak_counter counter;
    auto body = [&](const int&) {
        counter.enter();
        for (int i = 0; i < 100; ++i) std::this_thread::yield();
        counter.leave();
    };
    taskkit::task<int> welcome({.id = "welcome", .queue = emails, .run = body}, reg);
    taskkit::task<int> digest({.id = "digest", .queue = emails, .run = body}, reg);
    taskkit::runtime rt(options(reg, 6));
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 100; ++i) {
        hs.push_back(rt.trigger(welcome, i));
        hs.push_back(rt.trigger(digest, i));
    }
    for (auto& h : hs) REQUIRE(h.wait_for(deadline));
    CHECK(counter.peak.load() <= 2);
    CHECK(reg.queue("emails")->concurrency_limit == 2);
    CHECK_THROWS_AS(taskkit::queue({.name = "emails", .concurrency_limit = 3}, reg), taskkit::options_error);
    CHECK_THROWS_AS(taskkit::queue({.concurrency_limit = 3}, reg), taskkit::options_error);  // no name
}

TEST_CASE("batch_trigger returns handles in order under one batch id") {
    taskkit::registry reg;
    taskkit::task<int, int> t({.id = "batch", .run = [](const int& n) { return n * 10; }}, reg);
    taskkit::runtime rt(options(reg));
    auto batch = rt.batch_trigger(t, {1, 2, {3, {.tags = {"third"}}}});
    CHECK(batch.id.rfind("batch_", 0) == 0);
    REQUIRE(batch.runs.size() == 3);
    for (int i = 0; i < 3; ++i) {
        CHECK(batch.runs[i].get() == (i + 1) * 10);
        CHECK(batch.runs[i].snapshot().batch_id == batch.id);
    }
    CHECK(batch.runs[2].snapshot().tags == std::vector<std::string>{"third"});
}

TEST_CASE("a batch with one bad item starts nothing") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::task<int> t({.id = "batch-bad", .run = [&](const int&) { ++runs; }}, reg);
    auto opts = options(reg);
    taskkit::runtime rt(opts);
    CHECK_THROWS_AS(rt.batch_trigger(t, {1, 2, {3, {.tags = std::vector<std::string>(11, "x")}}}),
                    taskkit::options_error);
    CHECK(held_runs(rt) == 0);
    CHECK(runs == 0);
}

TEST_CASE("batch_trigger_and_wait inside a run gives every outcome in order") {
    taskkit::registry reg;
    worker_checks checks;
    taskkit::task<int, int> child({.id = "batch-child",
                                   .retry = {.max_attempts = 1},
                                   .run =
                                       [](const int& n) {
                                           if (n == 2) throw std::runtime_error("two is bad");
                                           return n * n;
                                       }},
                                  reg);
    taskkit::task<int, int> parent({.id = "batch-parent",
                                    .queue = {.concurrency_limit = 1},
                                    .run =
                                        [&](const int&) {
                                            auto results = child.batch_trigger_and_wait({1, 2, 3});
                                            WORKER_CHECK(checks, !results.ok());
                                            WORKER_CHECK(checks, results.results[1].error().message == "two is bad");
                                            return results.results[0].unwrap() + results.results[2].unwrap();
                                        }},
                                   reg);
    taskkit::runtime rt(options(reg, 1));
    CHECK(rt.trigger(parent, 0).get() == 10);
    CHECK(checks.failures() == no_failures);
    CHECK(checks.count() == 2);
}
