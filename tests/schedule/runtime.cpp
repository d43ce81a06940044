// Scheduled tasks with worker threads: queue limits for overlapping fires, shutdown, lifetimes.
#include "schedule_test_support.hpp"

#include "support/catch.hpp"

using namespace schedule_test;
using taskkit_test::eventually;
using taskkit_test::options;

TEST_CASE("overlapping fires of a slow task follow its queue's concurrency limit") {
    taskkit::registry reg;
    taskkit_test::gate release;
    taskkit_test::peak_counter executing;
    std::atomic<int> finished{0};
    const taskkit::scheduled_task slow({.id = "slow",
                                        .cron = "* * * * *",
                                        .queue = {.concurrency_limit = 1},
                                        .run =
                                            [&](const taskkit::schedule_payload&) {
                                                executing.enter();
                                                release.wait();
                                                executing.leave();
                                                ++finished;
                                            }},
                                       reg);
    auto clock = std::make_shared<taskkit::virtual_clock>(at("2026-01-01T00:00:00Z"));
    taskkit::runtime rt(options(reg, 3, clock));

    std::vector<std::string> run_ids;
    std::mutex ids_mutex;
    auto sub = rt.subscribe([&](const taskkit::status_event& e) {
        if (e.status != taskkit::run_status::queued) return;
        std::lock_guard lock(ids_mutex);
        const std::string id(e.run_id);
        if (std::find(run_ids.begin(), run_ids.end(), id) == run_ids.end()) run_ids.push_back(id);
    });
    auto fired = [&](const char* iso) {
        return eventually([&] { return taskkit::schedules(rt).retrieve("decl_slow").last_timestamp == at(iso); });
    };

    clock->advance(1min);
    REQUIRE(fired("2026-01-01T00:01:00Z"));
    REQUIRE(eventually([&] { return executing.now.load() == 1; }));
    clock->advance(1min);
    REQUIRE(fired("2026-01-01T00:02:00Z"));
    clock->advance(1min);
    REQUIRE(fired("2026-01-01T00:03:00Z"));

    std::vector<std::string> ids;
    REQUIRE(eventually([&] {
        std::lock_guard lock(ids_mutex);
        ids = run_ids;
        return ids.size() == 3;
    }));
    // One executes, the two later fires wait in the queue.
    REQUIRE(eventually([&] {
        int queued = 0;
        for (const auto& id : ids)
            if (rt.retrieve(id)->status == taskkit::run_status::queued) ++queued;
        return queued == 2;
    }));
    CHECK(executing.peak.load() == 1);

    release.open();
    REQUIRE(eventually([&] { return finished.load() == 3; }));
    CHECK(executing.peak.load() == 1);
    for (const auto& id : ids) {
        auto handle = rt.handle(id);
        REQUIRE(handle.has_value());
        REQUIRE(handle->wait_for(taskkit_test::deadline));
        const auto record = handle->snapshot();
        CHECK(record.status == taskkit::run_status::completed);
        CHECK(record.tags == std::vector<std::string>{"schedule:decl_slow"});
    }
}

TEST_CASE("shutdown stops firing") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task minutely({.id = "minutely", .cron = "* * * * *", .run = recorder(log)}, reg);
    auto clock = std::make_shared<taskkit::virtual_clock>(at("2026-01-01T00:00:00Z"));
    taskkit::runtime rt(options(reg, 2, clock));
    const auto imperative = taskkit::schedules(rt).create({.task = "minutely", .cron = "*/2 * * * *"});

    clock->advance(2min);
    REQUIRE(eventually([&] { return log.count("minutely") >= 2; }));
    REQUIRE(eventually([&] {
        return taskkit::schedules(rt).retrieve("decl_minutely").last_timestamp == at("2026-01-01T00:02:00Z") &&
               taskkit::schedules(rt).retrieve(imperative.id).last_timestamp == at("2026-01-01T00:02:00Z");
    }));

    rt.shutdown();
    const auto fired = log.count("minutely");
    clock->advance(10min);
    CHECK(log.count("minutely") == fired);
    // After shutdown the runtime keeps no schedules that could fire.
    for (const auto& s : taskkit::schedules(rt).list()) CHECK_FALSE(s.next_timestamp.has_value());
    clock->advance(10min);
    CHECK(log.count("minutely") == fired);
}

TEST_CASE("a runtime destroyed with pending schedule timers leaves nothing behind") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task minutely({.id = "minutely", .cron = "* * * * *", .run = recorder(log)}, reg);
    auto clock = std::make_shared<taskkit::virtual_clock>(at("2026-01-01T00:00:00Z"));
    for (int i = 0; i < 3; ++i) {
        taskkit::runtime rt(options(reg, 2, clock));
        for (int k = 0; k < 5; ++k) (void)taskkit::schedules(rt).create({.task = "minutely", .cron = "* * * * *"});
        clock->advance(1min);  // timers may be firing while the runtime is destroyed
    }
    {
        taskkit::testing::harness h(at_start(reg, "2026-01-01T00:00:00Z"));
        h.advance(1min);
    }
    CHECK(log.count("minutely") >= 1);
}

TEST_CASE("a scheduled task destroyed while its runtime runs stops firing") {
    taskkit::registry reg;
    fire_log log;
    auto keep = std::make_unique<taskkit::scheduled_task>(
        taskkit::scheduled_task_options{.id = "keep", .cron = "0 * * * *", .run = recorder(log)}, reg);
    auto gone = std::make_unique<taskkit::scheduled_task>(
        taskkit::scheduled_task_options{.id = "gone", .cron = "0 * * * *", .run = recorder(log)}, reg);
    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:00:00Z"));
    h.advance(1h);
    CHECK(log.count("gone") == 1);
    gone.reset();
    CHECK_FALSE(taskkit::schedules(h.runtime()).find("decl_gone").has_value());
    h.advance(1h);
    CHECK(log.count("gone") == 1);
    CHECK(log.count("keep") == 2);

    // A scheduled task defined while the runtime runs is picked up by it.
    const taskkit::scheduled_task added({.id = "added", .cron = "30 * * * *", .run = recorder(log)}, reg);
    h.advance(30min);
    CHECK(log.count("added") == 1);
    keep.reset();
}

TEST_CASE("schedules of different runtimes are independent") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task hourly({.id = "hourly", .run = recorder(log)}, reg);
    taskkit::testing::harness a(at_start(reg, "2026-01-01T00:00:00Z"));
    taskkit::testing::harness b(at_start(reg, "2026-01-01T00:00:00Z"));
    const auto created = taskkit::schedules(a.runtime()).create({.task = "hourly", .cron = "0 * * * *"});
    CHECK_FALSE(taskkit::schedules(b.runtime()).find(created.id).has_value());
    b.advance(1h);
    CHECK(log.count("hourly") == 0);
    a.advance(1h);
    CHECK(log.count("hourly") == 1);
}

TEST_CASE("concurrent schedule calls from many threads are safe") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task minutely({.id = "minutely", .cron = "* * * * *", .run = recorder(log)}, reg);
    auto clock = std::make_shared<taskkit::virtual_clock>(at("2026-01-01T00:00:00Z"));
    taskkit::runtime rt(options(reg, 2, clock));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) {
                auto key = "k" + std::to_string(i % 5);
                auto s =
                    taskkit::schedules(rt).create({.task = "minutely", .cron = "* * * * *", .deduplication_key = key});
                if (i % 3 == 0) (void)taskkit::schedules(rt).deactivate(s.id);
                if (i % 3 == 1) (void)taskkit::schedules(rt).activate(s.id);
                (void)taskkit::schedules(rt).list();
                if (t == 0) clock->advance(1min);
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(taskkit::schedules(rt).list({.type = taskkit::schedule_type::imperative}).size() == 5);
}

TEST_CASE("run_until_idle returns while schedules are active, after running everything else") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task hourly({.id = "hourly-idle", .cron = "0 * * * *", .run = recorder(log)}, reg);
    taskkit::task<int> delayed({.id = "delayed-idle", .run = [](const int&) {}}, reg);
    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:30:00Z"));
    auto handle = h.runtime().trigger(delayed, 1, {.delay = std::chrono::hours(3)});
    h.run_until_idle();  // jumps to the delayed run (firing the schedules on the way), then stops
    CHECK(handle.status() == taskkit::run_status::completed);
    CHECK(h.clock().now() == at("2026-01-01T03:30:00Z"));
    CHECK(log.timestamps("hourly-idle") ==
          std::vector<std::string>{"2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"});
}
