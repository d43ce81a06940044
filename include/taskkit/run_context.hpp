/// @file run_context.hpp
/// What a run's code knows about itself: ids, attempt, queue, machine, cancellation, logger.
#pragma once

#include <span>
#include <stop_token>
#include <string>
#include <string_view>

#include <taskkit/logger.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/run_record.hpp>

namespace taskkit {

/// The run an attempt belongs to.
struct run_info {
    std::string_view id;
    std::string_view parent_id;  ///< empty for a root run
    std::span<const std::string> tags;
    time_point created_at;
};

/// The attempt being executed.
struct attempt_info {
    int number = 1;  ///< 1 for the first attempt
    time_point started_at;
};

/// The task being run.
struct task_info {
    std::string_view id;
    std::string_view description;
};

/// The queue the run was taken from.
struct queue_info {
    std::string_view name;
    int concurrency_limit = 0;  ///< 0 = unbounded
};

/// Passed to a task's run function and hooks: `ctx.run().id`, `ctx.attempt().number`,
/// `ctx.task().id`, `ctx.queue()`, `ctx.machine()`, `ctx.stop_token()` and `ctx.logger()`.
/// Valid only during the call it is passed to.
class run_context {
public:
    run_context(run_info run, attempt_info attempt, task_info task, queue_info queue, taskkit::machine machine_spec,
                std::stop_token stop, taskkit::logger log)
        : run_(run), attempt_(attempt), task_(task), queue_(queue), machine_(machine_spec),
          stop_(std::move(stop)), logger_(std::move(log)) {}

    [[nodiscard]] const run_info& run() const noexcept { return run_; }
    [[nodiscard]] const attempt_info& attempt() const noexcept { return attempt_; }
    [[nodiscard]] const task_info& task() const noexcept { return task_; }
    [[nodiscard]] const queue_info& queue() const noexcept { return queue_; }
    [[nodiscard]] const taskkit::machine& machine() const noexcept { return machine_; }

    /// Requested when the run is canceled or exceeds max_duration. Long work should poll it
    /// (or pass it on) and return early: cancellation is cooperative.
    [[nodiscard]] std::stop_token stop_token() const noexcept { return stop_; }
    /// Shorthand for `stop_token().stop_requested()`.
    [[nodiscard]] bool stop_requested() const noexcept { return stop_.stop_requested(); }

    /// The run's logger: lines are kept on the run record and passed to the runtime's sink.
    [[nodiscard]] const taskkit::logger& logger() const noexcept { return logger_; }

private:
    run_info run_;
    attempt_info attempt_;
    task_info task_;
    queue_info queue_;
    taskkit::machine machine_;
    std::stop_token stop_;
    taskkit::logger logger_;
};

}  // namespace taskkit
