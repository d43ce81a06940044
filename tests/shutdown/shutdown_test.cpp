// Shutdown: waits are woken, a grace period bounds executing runs, and the cancel sweep never
// races the workers (a run that starts ends by its own outcome; a canceled run never starts).
#include <thread>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;

TEST_CASE("shutdown wakes a run waiting 24 hours: the wait says it was interrupted and the stop is requested") {
    taskkit::registry reg;
    std::atomic<int> wait_returned{-1};
    std::atomic<bool> stop_seen{false};
    taskkit::task<int> waiter({.id = "day-waiter",
                               .run =
                                   [&](const int&, taskkit::run_context& ctx) {
                                       wait_returned = ctx.wait_for(std::chrono::hours(24)) ? 1 : 0;
                                       stop_seen = ctx.stop_requested();
                                   }},
                              reg);
    auto rt = std::make_unique<taskkit::runtime>(options(reg));
    auto h = rt->trigger(waiter, 0);
    REQUIRE(eventually([&] { return h.status() == taskkit::run_status::waiting; }));
    std::atomic<bool> done{false};
    std::thread stopper([&] {
        rt->shutdown();
        done = true;
    });
    const bool stopped_in_time = eventually([&] { return done.load(); }, std::chrono::seconds(10));
    if (!stopped_in_time) h.cancel();  // let the thread end so the failure is reported, not a hang
    stopper.join();
    REQUIRE(stopped_in_time);
    CHECK(wait_returned == 0);
    CHECK(stop_seen);
    CHECK(h.status() == taskkit::run_status::canceled);
}

TEST_CASE("a wait that starts during shutdown returns at once, interrupted") {
    taskkit::registry reg;
    gate shutting_down;
    std::atomic<int> wait_returned{-1};
    taskkit::task<int> late({.id = "late-waiter",
                             .run =
                                 [&](const int&, taskkit::run_context& ctx) {
                                     shutting_down.wait();
                                     wait_returned = ctx.wait_for(std::chrono::hours(1)) ? 1 : 0;
                                 }},
                            reg);
    auto opts = options(reg);
    opts.shutdown_grace = std::chrono::hours(1);
    auto rt = std::make_unique<taskkit::runtime>(opts);
    auto h = rt->trigger(late, 0);
    REQUIRE(eventually([&] { return h.status() == taskkit::run_status::executing; }));
    std::thread stopper([&] { rt->shutdown(); });
    // The runtime refuses new work once shutdown began; then the run may go on.
    REQUIRE(eventually([&] {
        try {
            (void)rt->trigger(late, 1);
            return false;
        } catch (const taskkit::runtime_stopped_error&) {
            return true;
        }
    }));
    shutting_down.open();
    stopper.join();
    CHECK(wait_returned == 0);
    CHECK(h.status() == taskkit::run_status::canceled);
}

TEST_CASE("shutdown_grace: executing runs get their stop token requested once it passes") {
    taskkit::registry reg;
    std::atomic<bool> saw_stop{false};
    taskkit::task<int> busy({.id = "busy",
                             .run =
                                 [&](const int&, taskkit::run_context& ctx) {
                                     wait_for_stop(ctx);
                                     saw_stop = ctx.stop_requested();
                                 }},
                            reg);
    taskkit::task<int, int> quick({.id = "quick", .run = [](const int& n) { return n; }}, reg);
    auto opts = options(reg);
    opts.shutdown_grace = std::chrono::milliseconds(20);
    auto rt = std::make_unique<taskkit::runtime>(opts);
    auto b = rt->trigger(busy, 0);
    REQUIRE(eventually([&] { return b.status() == taskkit::run_status::executing; }));
    auto q = rt->trigger(quick, 7);
    REQUIRE(q.wait_for(deadline));
    rt->shutdown();  // without the grace period this would wait the run's whole 30 s
    CHECK(saw_stop);
    CHECK(b.status() == taskkit::run_status::canceled);
    CHECK(q.get() == 7);
}

TEST_CASE("without a grace period passing, executing runs finish by their own outcome at shutdown") {
    taskkit::registry reg;
    gate go;
    taskkit::task<int, int> finishing({.id = "finishing",
                                       .run =
                                           [&](const int& n, taskkit::run_context& ctx) {
                                               go.wait();
                                               return ctx.stop_requested() ? -1 : n;
                                           }},
                                      reg);
    auto opts = options(reg);
    opts.shutdown_grace = std::chrono::hours(1);
    auto rt = std::make_unique<taskkit::runtime>(opts);
    auto h = rt->trigger(finishing, 5);
    REQUIRE(eventually([&] { return h.status() == taskkit::run_status::executing; }));
    std::thread stopper([&] { rt->shutdown(); });
    REQUIRE(eventually([&] {
        try {
            (void)rt->trigger(finishing, 1);
            return false;
        } catch (const taskkit::runtime_stopped_error&) {
            return true;
        }
    }));
    go.open();
    stopper.join();
    CHECK(h.get() == 5);
}

TEST_CASE(
    "shutdown with 100,000 queued runs: a run that starts ends by its own outcome, a canceled run never started") {
    for (int round = 0; round < 3; ++round) {
        taskkit::registry reg;
        std::atomic<int> failures_called{0};
        std::atomic<int> ran{0};
        taskkit::task<int, int> job(
            {.id = "sweep-job",
             .run =
                 [&](const int& n) {
                     ++ran;
                     return n;
                 },
             .on_failure = [&](const int&, const taskkit::error_info&, taskkit::run_context&) { ++failures_called; }},
            reg);
        std::vector<taskkit::run_handle<int>> handles;
        constexpr int runs = 100'000;
        handles.reserve(runs);
        {
            auto opts = options(reg, 2);
            opts.max_log_entries = 0;
            taskkit::runtime rt(opts);
            for (int i = 0; i < runs; ++i) handles.push_back(rt.trigger(job, i));
        }  // the destructor shuts down while workers are busy
        int completed = 0;
        int canceled = 0;
        for (int i = 0; i < runs; ++i) {
            const auto record = handles[static_cast<std::size_t>(i)].snapshot();
            if (record.status == taskkit::run_status::completed) {
                ++completed;
                REQUIRE(record.output == i);
                REQUIRE(record.attempts.size() == 1);
            } else {
                ++canceled;
                REQUIRE(record.status == taskkit::run_status::canceled);
                REQUIRE(record.attempts.empty());  // a canceled run never started
            }
        }
        CHECK(completed == ran.load());
        CHECK(completed + canceled == runs);
        CHECK(failures_called == 0);
    }
}

TEST_CASE("triggers racing shutdown: every run ends, canceled or by its own outcome") {
    for (int round = 0; round < 20; ++round) {
        taskkit::registry reg;
        taskkit::task<int, int> echo({.id = "echo", .run = [](const int& n) { return n; }}, reg);
        auto rt = std::make_unique<taskkit::runtime>(options(reg, 2));
        std::mutex mutex;
        std::vector<taskkit::run_handle<int>> handles;
        std::vector<std::thread> triggers;
        for (int t = 0; t < 3; ++t) {
            triggers.emplace_back([&, t] {
                for (int i = 0; i < 200; ++i) {
                    try {
                        auto h = rt->trigger(echo, t * 1000 + i);
                        std::lock_guard lock(mutex);
                        handles.push_back(std::move(h));
                    } catch (const taskkit::runtime_stopped_error&) {
                        return;
                    }
                }
            });
        }
        rt->shutdown();
        for (auto& t : triggers) t.join();
        for (const auto& h : handles) {
            REQUIRE(h.wait_for(deadline));
            const auto record = h.snapshot();
            if (record.status == taskkit::run_status::canceled) {
                CHECK(record.attempts.empty());
            } else {
                CHECK(record.status == taskkit::run_status::completed);
            }
        }
    }
}
