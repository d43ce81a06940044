/// @file detail/to_task_options.hpp
/// One conversion from the options of a specialised task (schema_task_options,
/// scheduled_task_options, and next a webhook task's) to the task_options<P, R> of the task it
/// defines. Not for users.
#pragma once

#include <utility>

#include <taskkit/task_options.hpp>

namespace taskkit::detail {

/// The task_options<P, R> of a specialised task's options: every field the two have in common,
/// moved by name. Options structs stay aggregates (designated initializers forbid base classes),
/// each repeating task_options' fields in the same order beside its own (`.schema`, `.cron`…);
/// the fields that are not task_options' are the caller's to read before calling this.
///
/// To add a task option: add the field to task_options (task_options.hpp), to each options struct
/// that mirrors it (schema_task_options, scheduled_task_options, …), and one line here. A struct
/// that lacks the field fails to compile here, naming it.
template <class P, class R, class Options>
[[nodiscard]] task_options<P, R> to_task_options(Options&& o) {
    task_options<P, R> t;
    t.id = std::move(o.id);
    t.description = std::move(o.description);
    t.retry = std::move(o.retry);
    t.queue = std::move(o.queue);
    t.machine = std::move(o.machine);
    t.max_duration = std::move(o.max_duration);
    t.run = std::move(o.run);
    t.init = std::move(o.init);
    t.cleanup = std::move(o.cleanup);
    t.middleware = std::move(o.middleware);
    t.on_start = std::move(o.on_start);
    t.on_start_attempt = std::move(o.on_start_attempt);
    t.on_success = std::move(o.on_success);
    t.on_failure = std::move(o.on_failure);
    t.on_complete = std::move(o.on_complete);
    t.on_wait = std::move(o.on_wait);
    t.on_resume = std::move(o.on_resume);
    t.on_cancel = std::move(o.on_cancel);
    t.handle_error = std::move(o.handle_error);
    return t;
}

}  // namespace taskkit::detail
