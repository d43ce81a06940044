// Several runtimes on one registry: a declarative schedule fires once per nominal time, on the
// registry's default runtime, and moves with the default; imperative schedules stay on their runtime.
#include "schedule_test_support.hpp"

#include "support/catch.hpp"

using namespace schedule_test;

namespace {
/// Advances two hand-driven runtimes sharing one virtual clock by `total` in steps of `step`.
void advance_both(taskkit::testing::harness& a, taskkit::runtime& b, std::chrono::system_clock::duration total,
                  std::chrono::system_clock::duration step) {
    for (auto done = std::chrono::system_clock::duration::zero(); done < total; done += step) {
        a.advance(step);  // moves the shared clock and runs a's work
        b.core()->run_ready();
    }
}

taskkit::runtime_options second_runtime(taskkit::testing::harness& first, taskkit::registry& reg) {
    taskkit::runtime_options options;
    options.workers = 0;
    options.clock = first.runtime().clock();  // one virtual clock for both
    options.registry = &reg;
    options.log_sink = taskkit::null_log_sink();
    return options;
}
}  // namespace

TEST_CASE("with two runtimes on a registry, a declarative schedule fires once per nominal time") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task hourly({.id = "hourly", .cron = "0 * * * *", .run = recorder(log)}, reg);
    taskkit::testing::harness first(at_start(reg, "2026-05-01T00:00:00Z"));
    taskkit::runtime second(second_runtime(first, reg));
    REQUIRE(first.runtime().is_default());
    REQUIRE_FALSE(second.is_default());

    advance_both(first, second, 6h, 30min);
    CHECK(log.timestamps("hourly") == std::vector<std::string>{"2026-05-01T01:00:00Z", "2026-05-01T02:00:00Z",
                                                               "2026-05-01T03:00:00Z", "2026-05-01T04:00:00Z",
                                                               "2026-05-01T05:00:00Z", "2026-05-01T06:00:00Z"});
    CHECK(first.runtime().list({.tasks = {"hourly"}}).runs.size() == 6);
    CHECK(second.list({.tasks = {"hourly"}}).runs.empty());
    // The other runtime keeps time: its view of the schedule agrees.
    CHECK(taskkit::schedules(second).retrieve("decl_hourly").last_timestamp ==
          taskkit::schedules(first.runtime()).retrieve("decl_hourly").last_timestamp);

    // Naming the second runtime the default moves the firing there, without a double fire.
    second.make_default();
    advance_both(first, second, 3h, 30min);
    CHECK(log.count("hourly") == 9);
    CHECK(first.runtime().list({.tasks = {"hourly"}}).runs.size() == 6);
    CHECK(second.list({.tasks = {"hourly"}}).runs.size() == 3);
}

TEST_CASE("an imperative schedule fires on the runtime it was created on, default or not") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task reminder({.id = "reminder", .run = recorder(log)}, reg);
    taskkit::testing::harness first(at_start(reg, "2026-05-01T00:00:00Z"));
    taskkit::runtime second(second_runtime(first, reg));
    (void)taskkit::schedules(second).create({.task = "reminder", .cron = "*/15 * * * *"});
    advance_both(first, second, 1h, 5min);
    CHECK(log.count("reminder") == 4);
    CHECK(second.list({.tasks = {"reminder"}}).runs.size() == 4);
    CHECK(first.runtime().list({.tasks = {"reminder"}}).runs.empty());
}
