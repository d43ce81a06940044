/// @file error.hpp
/// The exception hierarchy of taskkit, rooted in taskkit::error.
#pragma once

#include <taskkit/detail/config.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace taskkit {

/// What went wrong, as a stable code (a durable store or an HTTP client can rely on these).
enum class error_code {
    unknown_task,       ///< no task with that id is registered
    duplicate_task,     ///< a task with that id is already registered
    invalid_payload,    ///< a payload could not be decoded into the task's payload type
    invalid_options,    ///< task, queue, trigger or runtime options are out of range
    invalid_state,      ///< the operation does not apply to the run in its current status
    machine_too_large,  ///< a task's machine exceeds the runtime's capacity
    runtime_stopped,    ///< the runtime has shut down
    run_failed,         ///< the run ended failed
    run_canceled,       ///< the run was canceled
    run_timed_out,      ///< the run exceeded its max_duration
    run_expired,        ///< the run did not start within its ttl
    run_crashed,        ///< the run's worker died and the run could not be rescued
    aborted,            ///< the run threw taskkit::abort_run: fail now, never retry
    validation_failed,  ///< a payload failed its task's schema
    invalid_cron,       ///< a cron expression or time zone is invalid
    store_failure,      ///< a run store could not read or write
    unknown_queue,      ///< no queue with that name is declared or used
    unknown_token,      ///< no waitpoint token with that id exists
    token_timed_out,    ///< a waitpoint token's timeout passed before it was completed
};

/// The name of an error code, e.g. "unknown_task".
[[nodiscard]] constexpr std::string_view to_string(error_code code) noexcept {
    switch (code) {
        case error_code::unknown_task:
            return "unknown_task";
        case error_code::duplicate_task:
            return "duplicate_task";
        case error_code::invalid_payload:
            return "invalid_payload";
        case error_code::invalid_options:
            return "invalid_options";
        case error_code::invalid_state:
            return "invalid_state";
        case error_code::machine_too_large:
            return "machine_too_large";
        case error_code::runtime_stopped:
            return "runtime_stopped";
        case error_code::run_failed:
            return "run_failed";
        case error_code::run_canceled:
            return "run_canceled";
        case error_code::run_timed_out:
            return "run_timed_out";
        case error_code::run_expired:
            return "run_expired";
        case error_code::run_crashed:
            return "run_crashed";
        case error_code::aborted:
            return "aborted";
        case error_code::validation_failed:
            return "validation_failed";
        case error_code::invalid_cron:
            return "invalid_cron";
        case error_code::store_failure:
            return "store_failure";
        case error_code::unknown_queue:
            return "unknown_queue";
        case error_code::unknown_token:
            return "unknown_token";
        case error_code::token_timed_out:
            return "token_timed_out";
    }
    return "unknown";
}

/// Base of every exception taskkit throws.
class error : public std::runtime_error {
public:
    error(error_code code, const std::string& message);
    /// The stable code of this error.
    [[nodiscard]] error_code code() const noexcept { return code_; }

private:
    error_code code_;
};

/// No task with the given id is registered.
class unknown_task_error : public error {
public:
    explicit unknown_task_error(std::string_view id);
};

/// No queue with the given name is declared in the runtime's registry or used by one of its runs.
class unknown_queue_error : public error {
public:
    explicit unknown_queue_error(std::string_view name);
};

/// No waitpoint token with the given id exists (rt.complete_token, ctx.wait_for_token).
class unknown_token_error : public error {
public:
    explicit unknown_token_error(std::string_view id);
};

/// A waitpoint token's timeout passed before it was completed: completing it is refused.
class token_timed_out_error : public error {
public:
    explicit token_timed_out_error(std::string_view id);
};

/// A second task was defined with an id that is already registered.
class duplicate_task_error : public error {
public:
    explicit duplicate_task_error(std::string_view id);
};

/// A payload (usually JSON) could not be decoded into the task's payload type.
class payload_error : public error {
public:
    using error::error;
    explicit payload_error(const std::string& message);
};

/// Options (of a task, queue, trigger or runtime) are out of range.
class options_error : public error {
public:
    explicit options_error(const std::string& message);
};

/// The operation does not apply to the run in its current status (retrying a completed run, say).
class state_error : public error {
public:
    explicit state_error(const std::string& message);
};

/// A task's machine is larger than the runtime's cpu/memory capacity, so it could never run.
class machine_error : public error {
public:
    explicit machine_error(const std::string& message);
};

/// The runtime was shut down (or destroyed) before the operation could take place.
class runtime_stopped_error : public error {
public:
    explicit runtime_stopped_error(const std::string& message = "the taskkit runtime has stopped");
};

/// Thrown by `run_handle::get()` when a run failed and its original exception is not available
/// (for example, a run read back from a durable store).
class run_failed_error : public error {
public:
    explicit run_failed_error(const std::string& message);
};

/// The run was canceled. Cancellation is its own outcome, not a failure.
class canceled_error : public error {
public:
    explicit canceled_error(const std::string& message = "the run was canceled");
};

/// The run exceeded its max_duration.
class timed_out_error : public error {
public:
    explicit timed_out_error(const std::string& message = "the run exceeded its max_duration");
};

/// The run did not start within its ttl.
class expired_error : public error {
public:
    explicit expired_error(const std::string& message = "the run did not start within its ttl");
};

/// Throw from a run to fail it at once, without retrying (Trigger.dev's AbortTaskRunError).
/// @code
/// if (!account_exists) throw taskkit::abort_run("account " + id + " is gone");
/// @endcode
class abort_run : public error {
public:
    explicit abort_run(const std::string& message);
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/error.ipp>
#endif
