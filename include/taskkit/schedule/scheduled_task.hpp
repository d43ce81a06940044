/// @file schedule/scheduled_task.hpp
/// taskkit::scheduled_task: a task fired on a cron schedule in an IANA time zone (its declarative
/// schedule), with its options (scheduled_task_options, cron_setting, cron_options).
/// @code
/// inline const taskkit::scheduled_task nightly({
///     .id = "nightly-report",
///     .cron = {{.pattern = "0 2 * * *", .timezone = "Europe/Berlin"}},
///     .run = [](const taskkit::schedule_payload& payload, taskkit::run_context& ctx) {
///         ctx.logger().info("report for {}", payload.timestamp);
///     },
/// });
/// @endcode
#pragma once

#include <taskkit/schedule/detail/config.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <taskkit/machine.hpp>
#include <taskkit/queue_options.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/run_handle.hpp>
#include <taskkit/schedule/detail/declared_schedule.hpp>
#include <taskkit/schedule/schedule_payload.hpp>
#include <taskkit/task.hpp>
#include <taskkit/task_options.hpp>
#include <taskkit/trigger_options.hpp>

namespace taskkit {

/// A cron pattern and the IANA zone it is read in, for `scheduled_task_options::cron`.
struct cron_options {
    std::string pattern;           ///< 5-field cron, e.g. "0 9 * * 1-5" (see docs/cron.md)
    std::string timezone = "UTC";  ///< IANA name, e.g. "America/New_York"
};

/// The `.cron` of a scheduled task: a pattern (read in UTC), or a pattern and a zone.
/// @code
/// .cron = "0 */2 * * *"
/// .cron = {{.pattern = "0 9 * * 1-5", .timezone = "America/New_York"}}
/// .cron = taskkit::cron_options{.pattern = "0 9 * * 1-5", .timezone = "America/New_York"}
/// @endcode
/// (C++ allows designated initializers only for aggregates, and an aggregate cannot also be
/// initialized from a string; hence the double braces or the type name for the second form.)
/// Empty: the task has no declarative schedule, and runs only from imperative schedules.
class cron_setting {
public:
    cron_setting() = default;
    cron_setting(const char* pattern) : pattern_(pattern ? pattern : "") {}  // NOLINT(google-explicit-constructor)
    template <class S>
    requires std::is_convertible_v<const S&, std::string_view> cron_setting(const S& pattern)
        : pattern_(std::string_view(pattern)) {}  // NOLINT(google-explicit-constructor)
    cron_setting(cron_options options)            // NOLINT(google-explicit-constructor)
        : pattern_(std::move(options.pattern)), timezone_(std::move(options.timezone)) {}

    [[nodiscard]] const std::string& pattern() const noexcept { return pattern_; }
    [[nodiscard]] const std::string& timezone() const noexcept { return timezone_; }
    [[nodiscard]] bool empty() const noexcept { return pattern_.empty(); }

private:
    std::string pattern_;
    std::string timezone_ = "UTC";
};

/// The definition of a scheduled task: task_options<schedule_payload> plus its declarative cron.
/// Its other fields are task_options' (a plain aggregate, for designated initializers), copied
/// into the task by detail::to_task_options, which says how a new one is added.
/// @code
/// inline const taskkit::scheduled_task cleanup({
///     .id = "cleanup",
///     .cron = "0 */6 * * *",
///     .queue = {.concurrency_limit = 1},
///     .run = [](const taskkit::schedule_payload& p, taskkit::run_context& ctx) { purge_before(p.timestamp); },
/// });
/// @endcode
struct scheduled_task_options {
    std::string id;           ///< unique in the registry
    cron_setting cron;        ///< declarative schedule; empty: none
    std::string description;  ///< shown by tools
    retry_options retry;      ///< retry policy of each fire's run
    queue_options queue;      ///< overlapping fires wait for a slot here
    /// What each run holds from the runtime's cpu/memory budget while it executes. The default,
    /// machines::none, holds nothing: such runs are bounded by workers and queues, not the budget.
    taskkit::machine machine = machines::none;
    std::optional<std::chrono::milliseconds> max_duration;  ///< wall-clock limit per attempt
    run_function<schedule_payload, void> run;               ///< the work
    hook_types<schedule_payload, void>::init init;          ///< (payload, ctx) before every attempt
    hook_types<schedule_payload, void>::cleanup cleanup;    ///< (payload, ctx) after every attempt
    /// (payload, ctx, next): wraps each attempt; must call `next()` exactly once.
    hook_types<schedule_payload, void>::middleware middleware;
    hook_types<schedule_payload, void>::on_start on_start;  ///< (payload, ctx) before the first attempt's run
    hook_types<schedule_payload, void>::on_start_attempt on_start_attempt;  ///< (payload, ctx) every attempt
    hook_types<schedule_payload, void>::on_success on_success;      ///< (payload, ctx) after a successful attempt
    hook_types<schedule_payload, void>::on_failure on_failure;      ///< (payload, error, ctx): failed, canceled…
    hook_types<schedule_payload, void>::on_complete on_complete;    ///< (payload, result, ctx): any terminal outcome
    hook_types<schedule_payload, void>::on_wait on_wait;            ///< (payload, wait, ctx): a wait begins
    hook_types<schedule_payload, void>::on_resume on_resume;        ///< (payload, wait, ctx): the wait has ended
    hook_types<schedule_payload, void>::on_cancel on_cancel;        ///< (payload, ctx): canceled while executing
    hook_types<schedule_payload, void>::handle_error handle_error;  ///< (payload, error, ctx) -> error_decision
};

/// A task that runs on a cron schedule. It wraps a `taskkit::task<schedule_payload>` registered
/// like any task (so it can also be triggered by id, or by hand with a payload you build), plus
/// its declarative schedule, which every runtime created afterwards on the same registry fires.
/// An invalid cron or an unknown zone throws cron_error here, before anything is registered.
/// @code
/// inline const taskkit::scheduled_task first_scheduled_task({
///     .id = "first-scheduled-task",
///     .cron = "0 */2 * * *",
///     .run = [](const taskkit::schedule_payload& payload, taskkit::run_context& ctx) {
///         ctx.logger().info("nominal time {}, last {}", payload.timestamp, payload.last_timestamp);
///     },
/// });
/// @endcode
class scheduled_task {
public:
    /// Defines the task and registers it in `reg` (by default registry::global()).
    TASKKIT_DECL explicit scheduled_task(scheduled_task_options options,
                                         taskkit::registry& reg = taskkit::registry::global());

    scheduled_task(const scheduled_task&) = delete;
    scheduled_task& operator=(const scheduled_task&) = delete;
    TASKKIT_DECL ~scheduled_task();

    /// The task's unique id.
    [[nodiscard]] const std::string& id() const noexcept { return task_.id(); }

    /// The declarative cron pattern as written (empty when the task has none).
    [[nodiscard]] const std::string& cron_pattern() const noexcept { return declared_.pattern; }

    /// The zone the declarative cron is read in.
    [[nodiscard]] const std::string& timezone() const noexcept { return declared_.timezone; }

    /// The underlying task (for `rt.trigger(st.task(), payload)` and the like).
    [[nodiscard]] const task<schedule_payload>& as_task() const noexcept { return task_; }

    /// Triggers a run by hand with a payload you build (tests, backfills).
    TASKKIT_DECL run_handle<void> trigger(schedule_payload payload, trigger_options options = {}) const;

private:
    TASKKIT_DECL static detail::declared_schedule declare(const scheduled_task_options& options);

    detail::declared_schedule declared_;
    task<schedule_payload> task_;
    taskkit::registry* registry_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/schedule/impl/scheduled_task.ipp>
#endif
