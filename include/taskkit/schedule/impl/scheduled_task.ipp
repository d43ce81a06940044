/// @file schedule/impl/scheduled_task.ipp
/// The definitions of what <taskkit/schedule/scheduled_task.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/schedule/src.hpp>
/// (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/schedule/scheduled_task.hpp>

#include <taskkit/error.hpp>
#include <taskkit/schedule/cron.hpp>
#include <taskkit/schedule/detail/schedule_registry.hpp>

namespace taskkit {

TASKKIT_DECL scheduled_task::scheduled_task(scheduled_task_options options, taskkit::registry& reg)
    : declared_(declare(options)), task_(to_task_options(std::move(options)), reg), registry_(&reg) {
    declared_.task_id = task_.id();
    detail::register_scheduled_task(reg, declared_);
}

TASKKIT_DECL scheduled_task::~scheduled_task() { detail::unregister_scheduled_task(*registry_, declared_.task_id); }

TASKKIT_DECL auto scheduled_task::trigger(schedule_payload payload, trigger_options options) const -> run_handle<void> {
    return task_.trigger(std::move(payload), std::move(options));
}

TASKKIT_DECL auto scheduled_task::declare(const scheduled_task_options& options) -> detail::declared_schedule {
    detail::declared_schedule declared;
    declared.task_id = options.id;
    declared.pattern = options.cron.pattern();
    declared.timezone = options.cron.timezone().empty() ? std::string("UTC") : options.cron.timezone();
    if (!declared.pattern.empty()) {
        (void)cron::parse(declared.pattern);
        (void)cron::locate_zone(declared.timezone);
    } else if (options.cron.timezone() != "UTC" && !options.cron.timezone().empty()) {
        throw options_error("scheduled task '" + options.id + "' gives a cron timezone but no cron pattern");
    }
    return declared;
}

TASKKIT_DECL auto scheduled_task::to_task_options(scheduled_task_options o) -> task_options<schedule_payload, void> {
    task_options<schedule_payload, void> t;
    t.id = std::move(o.id);
    t.description = std::move(o.description);
    t.retry = o.retry;
    t.queue = std::move(o.queue);
    t.machine = o.machine;
    t.max_duration = o.max_duration;
    t.run = std::move(o.run);
    t.init = std::move(o.init);
    t.cleanup = std::move(o.cleanup);
    t.middleware = std::move(o.middleware);
    t.on_start = std::move(o.on_start);
    t.on_success = std::move(o.on_success);
    t.on_failure = std::move(o.on_failure);
    t.on_complete = std::move(o.on_complete);
    t.handle_error = std::move(o.handle_error);
    return t;
}

}  // namespace taskkit
