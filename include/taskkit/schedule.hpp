/// @file schedule.hpp
/// Scheduled (cron) tasks: the entry header of the schedule integration (taskkit/schedule/):
/// `taskkit::scheduled_task` fires a task on a cron schedule in an IANA time zone (declarative),
/// and `taskkit::schedules(rt)` creates, updates and removes schedules at run time (imperative).
///
/// An optional integration: it needs Howard Hinnant's date/tz (link `taskkit::cron`, or
/// `taskkit::cron_compiled` with `taskkit::compiled`), and the umbrella header `taskkit.hpp` does
/// not include it.
/// @code
/// #include <taskkit/schedule.hpp>
///
/// inline const taskkit::scheduled_task nightly({
///     .id = "nightly-report",
///     .cron = {{.pattern = "0 2 * * *", .timezone = "Europe/Berlin"}},
///     .run = [](const taskkit::schedule_payload& payload, taskkit::run_context& ctx) {
///         ctx.logger().info("report for {}", payload.timestamp);
///     },
/// });
///
/// taskkit::runtime rt;   // fires "nightly-report" every night at 02:00 Berlin time
/// taskkit::schedules(rt).create({.task = "nightly-report", .cron = "0 8 * * *", .timezone = "Asia/Tokyo",
///                                .external_id = "user_123", .deduplication_key = "user_123-report"});
/// @endcode
/// See docs/scheduled-tasks.md.
#pragma once

#include <taskkit/runtime.hpp>  // an entry header: a one-file program needs nothing else
#include <taskkit/schedule/cron.hpp>
#include <taskkit/schedule/schedule_manager.hpp>
#include <taskkit/schedule/schedule_payload.hpp>
#include <taskkit/schedule/schedule_time.hpp>
#include <taskkit/schedule/scheduled_task.hpp>
