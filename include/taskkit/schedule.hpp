/// @file schedule.hpp
/// Scheduled (cron) tasks: the entry header of the schedule integration (taskkit/schedule/):
/// `taskkit::scheduled_task` (declarative schedules), `taskkit::schedules(rt)` (imperative ones),
/// schedule_payload, schedule_time and taskkit::cron.
///
/// An optional integration: it needs Howard Hinnant's date/tz (link `taskkit::cron`, or
/// `taskkit::cron_compiled` with `taskkit::compiled`), and the umbrella header `taskkit.hpp` does
/// not include it. See docs/scheduled-tasks.md.
#pragma once

#include <taskkit/schedule/schedule_manager.hpp>
