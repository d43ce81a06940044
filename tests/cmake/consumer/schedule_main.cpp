// A user's program that uses the schedule integration: a cron expression and a scheduled task.
// Built header-only (taskkit::cron) and in separate compilation (taskkit::compiled and
// taskkit::cron_compiled: one more word in the same line of CMake).
#include <taskkit/schedule.hpp>
#include <taskkit/taskkit.hpp>

#include <chrono>
#include <cstdio>

#if defined(EXPECT_SEPARATE_COMPILATION) != defined(TASKKIT_SEPARATE_COMPILATION)
#error "taskkit::cron_compiled must define TASKKIT_SEPARATE_COMPILATION, and taskkit::cron must not"
#endif

inline const taskkit::scheduled_task nightly({
    .id = "nightly",
    .cron = "0 2 * * *",
    .run = [](const taskkit::schedule_payload&) {},
});

int main() {
    const auto start = std::chrono::sys_days{std::chrono::year{2026} / 3 / 8};
    const auto next = taskkit::cron::parse("30 9 * * *").next(start, "Europe/Berlin");
    const bool right = next == start + std::chrono::hours(8) + std::chrono::minutes(30);  // 09:30 CET is 08:30 UTC
    taskkit::runtime rt({.workers = 1});
    const auto created = taskkit::schedules(rt).create({.task = "nightly", .cron = "*/5 * * * *"});
    std::printf("next fire %s, schedule %s\n", taskkit::schedule_time(next).to_string().c_str(), created.id.c_str());
    return right && taskkit::schedules(rt).list().size() == 2 ? 0 : 1;
}
