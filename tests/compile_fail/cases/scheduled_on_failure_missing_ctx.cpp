// A scheduled task's hooks are the same types, with the same diagnostics.
// needs: taskkit::cron
// expect-error: taskkit: \.on_failure must be callable as void\(const Payload&,
// expect-error:  const taskkit::error_info&, taskkit::run_context&\)
#include <taskkit/schedule.hpp>

const taskkit::scheduled_task t({
    .id = "t",
    .cron = "0 * * * *",
    .run = [](const taskkit::schedule_payload&) {},
    .on_failure = [](const taskkit::schedule_payload&, const taskkit::error_info&) {},
});
