/// @file schedule/impl/scheduled_task.ipp
/// The definitions of what <taskkit/schedule/scheduled_task.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/schedule/src.hpp>
/// (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/schedule/scheduled_task.hpp>

#include <taskkit/detail/to_task_options.hpp>
#include <taskkit/error.hpp>
#include <taskkit/schedule/cron.hpp>
#include <taskkit/schedule/detail/schedule_extension.hpp>

namespace taskkit {

TASKKIT_DECL scheduled_task::scheduled_task(scheduled_task_options options, taskkit::registry& reg)
    : declared_(declare(options)),
      task_(
          [&] {
              auto definition = std::make_shared<detail::task_definition<schedule_payload, void>>(
                  detail::to_task_options<schedule_payload, void>(std::move(options)));
              definition->kind = "scheduled";
              return definition;
          }(),
          reg),
      registry_(&reg) {
    declared_.task_id = task_.id();
    reg.extension<detail::schedule_extension>().add_task(declared_);
}

TASKKIT_DECL scheduled_task::~scheduled_task() {
    registry_->extension<detail::schedule_extension>().remove_task(declared_.task_id);
}

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

}  // namespace taskkit
