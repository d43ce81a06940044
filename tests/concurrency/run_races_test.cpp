// Races between control calls on the same runs: status events stay in order per run, ttl timers
// racing triggers, children of a canceled parent, deep trigger_and_wait chains.
#include <thread>
#include <unordered_map>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using taskkit::run_status;

namespace {
/// Whether `to` may follow `from` in one run's events.
bool valid_transition(run_status from, run_status to) {
    switch (from) {
        case run_status::delayed:
            return to == run_status::queued || to == run_status::delayed || taskkit::is_terminal(to);
        case run_status::queued:
            return to == run_status::executing || taskkit::is_terminal(to);
        case run_status::executing:
            return to == run_status::waiting || to == run_status::retrying || taskkit::is_terminal(to);
        case run_status::waiting:
            return to == run_status::executing;
        case run_status::retrying:
            return to == run_status::queued || taskkit::is_terminal(to);
        default:  // terminal: only retry() queues it again
            return to == run_status::queued;
    }
}
}  // namespace

TEST_CASE("status events of one run arrive in order while cancel() and retry() race on it") {
    taskkit::registry reg;
    // One slot, held by a blocker: the raced run never starts, so only cancel() and retry() move it.
    const taskkit::queue_options held{.name = "held", .concurrency_limit = 1};
    taskkit::task<int> idle({.id = "idle", .queue = held, .run = [](const int&) {}}, reg);
    taskkit::task<int> blocker(
        {.id = "blocker", .queue = held, .run = [](const int&, taskkit::run_context& ctx) { wait_for_stop(ctx); }},
        reg);
    taskkit::runtime rt(options(reg, 1));
    auto block = rt.trigger(blocker, 0);
    REQUIRE(eventually([&] { return block.status() == run_status::executing; }));
    for (int round = 0; round < 20; ++round) {
        auto h = rt.trigger(idle, round, {.delay = std::chrono::hours(1)});
        std::mutex mutex;
        std::vector<run_status> events;
        auto sub = rt.subscribe(h.id(), [&](const taskkit::status_event& e) {
            std::lock_guard lock(mutex);
            events.push_back(e.status);
        });
        REQUIRE(h.cancel());
        std::atomic<bool> stop{false};
        std::thread canceler([&] {
            while (!stop) h.cancel();
        });
        std::thread retrier([&] {
            for (int i = 0; i < 300; ++i) {
                try {
                    h.retry();
                } catch (const taskkit::state_error&) {
                }
            }
            stop = true;
        });
        retrier.join();
        canceler.join();
        h.cancel();
        sub.unsubscribe();
        std::lock_guard lock(mutex);
        REQUIRE_FALSE(events.empty());
        for (std::size_t i = 1; i < events.size(); ++i) {
            INFO("event " << i << ": " << taskkit::to_string(events[i - 1]) << " -> " << taskkit::to_string(events[i]));
            REQUIRE(valid_transition(events[i - 1], events[i]));
        }
        CHECK(events.back() == h.status());
    }
    block.cancel();
}

TEST_CASE("triggers with a 1 ms ttl from 6 threads: each run expires or completes, nothing races") {
    taskkit::registry reg;
    taskkit::task<int, int> echo({.id = "echo", .run = [](const int& n) { return n; }}, reg);
    taskkit::runtime rt(options(reg, 2));
    std::mutex mutex;
    std::vector<taskkit::run_handle<int>> handles;
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 300; ++i) {
                auto h = rt.trigger(echo, t * 1000 + i, {.ttl = std::chrono::milliseconds(1)});
                std::lock_guard lock(mutex);
                handles.push_back(std::move(h));
            }
        });
    }
    for (auto& t : threads) t.join();
    for (const auto& h : handles) {
        REQUIRE(h.wait_for(deadline));
        const auto status = h.status();
        CHECK((status == run_status::completed || status == run_status::expired));
    }
}

TEST_CASE("children triggered by a run after its cancel are canceled and never start") {
    for (int round = 0; round < 10; ++round) {
        taskkit::registry reg;
        std::atomic<int> child_runs{0};
        taskkit::task<int> child({.id = "child", .run = [&](const int&) { ++child_runs; }}, reg);
        std::mutex mutex;
        std::vector<taskkit::run_handle<void>> late_children;
        taskkit::task<int> parent({.id = "parent",
                                   .run =
                                       [&](const int&, taskkit::run_context& ctx) {
                                           wait_for_stop(ctx);
                                           for (int i = 0; i < 5; ++i) {
                                               auto h = child.trigger(i);
                                               std::lock_guard lock(mutex);
                                               late_children.push_back(std::move(h));
                                           }
                                       }},
                                  reg);
        taskkit::runtime rt(options(reg, 2));
        auto p = rt.trigger(parent, 0);
        REQUIRE(eventually([&] { return p.status() == run_status::executing; }));
        p.cancel();
        REQUIRE(p.wait_for(deadline));
        CHECK(p.status() == run_status::canceled);
        std::lock_guard lock(mutex);
        REQUIRE(late_children.size() == 5);
        for (const auto& h : late_children) {
            REQUIRE(h.wait_for(deadline));
            CHECK(h.status() == run_status::canceled);
            CHECK(h.snapshot().attempts.empty());
            CHECK(h.snapshot().parent_id == p.id());
        }
        CHECK(child_runs == 0);
    }
}

TEST_CASE("a trigger_and_wait chain 10,000 deep completes: inline execution is bounded") {
    taskkit::registry reg;
    const taskkit::task<int, int>* self = nullptr;
    taskkit::task<int, int> down({.id = "down",
                                  .run =
                                      [&](const int& n) {
                                          if (n == 0) return 0;
                                          return self->trigger_and_wait(n - 1).unwrap() + 1;
                                      }},
                                 reg);
    self = &down;
    auto opts = options(reg, 1);  // one worker: every level would run inline on one thread
    opts.max_log_entries = 0;
    taskkit::runtime rt(opts);
    auto h = rt.trigger(down, 10'000);
    REQUIRE(h.wait_for(std::chrono::seconds(100)));
    CHECK(h.get() == 10'000);
}
