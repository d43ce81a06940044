/// @file detail/task_definition_base.hpp
/// The type-erased part of a task definition, seen by the registry and the runtime.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <taskkit/clock.hpp>
#include <taskkit/detail/payload_type.hpp>
#include <taskkit/fwd.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/queue_options.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/run_context.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>
#include <taskkit/wait_info.hpp>

namespace taskkit::detail {

struct run_state;

/// The points of an attempt where a task's own code runs besides its run function, in the order
/// an attempt reaches them (detail/attempt.hpp runs them).
enum class hook_point : unsigned {
    middleware,    ///< wraps init, on_start and run
    init,          ///< every attempt, before on_start
    on_start,      ///< the first attempt only
    on_success,    ///< after a completed attempt
    handle_error,  ///< after a failed attempt: may change the retry plan
    on_failure,    ///< once the run has failed (no attempts left, canceled, timed out)
    on_complete,   ///< once the run has ended, either way
    cleanup,       ///< after every attempt
    // Trigger.dev v4's hooks, after the others so that the values above stay what they were.
    on_start_attempt,  ///< every attempt, after on_start and before run
    on_wait,           ///< the run begins a wait (wait_info says on what)
    on_resume,         ///< the run's wait has ended
    on_cancel,         ///< the run is canceled while it executes, before its stop is requested
    count_,            ///< the number of hook points
};

/// A task definition without its payload and result types.
struct task_definition_base {
    virtual ~task_definition_base() = default;

    std::string id;
    /// What kind of task defined it: "task", or the integration's ("schema", "scheduled",
    /// "webhook"), set before the definition is registered.
    std::string kind = "task";
    std::string description;
    retry_options retry;
    queue_options queue;  ///< name always set (the task id when the user gave none)
    machine machine_spec;
    std::optional<std::chrono::milliseconds> max_duration;
    /// A JSON Schema describing the payload, for tools (null when the task has none).
    nlohmann::json payload_schema;
    /// Checks a payload (as JSON) before any run is created; throws to refuse it. Empty: none.
    std::function<void(const nlohmann::json&)> validate_payload;

    /// The payload type's conversions: `decode` makes a new run (a run_state) from JSON, `encode`
    /// writes a run's payload back. Runs from JSON are made with make_run_from_json
    /// (detail/payload_decoding.hpp), which checks them strictly with these.
    payload_type_ops payload_type;
    /// True when the payload type is nlohmann::json itself (nothing to decode).
    bool payload_is_json = false;
    /// For a typed task with a payload validator: validates a typed payload as JSON and checks it
    /// decodes back (set with the validator; see task_definition::set_payload_validation).
    std::function<void(const nlohmann::json&)> check_typed_payload;
    /// A new run with a copy of `run`'s payload (for replay).
    [[nodiscard]] virtual std::shared_ptr<run_state> clone_run(const run_state& run) const = 0;

    /// Whether the task defines the hook.
    [[nodiscard]] bool defines(hook_point hook) const noexcept { return (hooks_ >> static_cast<unsigned>(hook)) & 1U; }

    // What an attempt calls (detail/attempt.hpp); only these know the payload and result types.

    /// Calls the run function with the run's payload, keeping its output on the run.
    virtual void call_run(run_state& run, run_context& ctx) const = 0;
    /// Calls the middleware around `next`.
    virtual void call_middleware(run_state& run, run_context& ctx, const std::function<void()>& next) const = 0;
    /// Calls a hook (not middleware, not handle_error); on_complete and on_failure are told how the
    /// run ended (`status`, and `error` unless it completed).
    virtual void call_hook(hook_point hook, run_state& run, run_context& ctx, run_status status,
                           const error_info* error) const = 0;
    /// Calls handle_error.
    virtual error_decision call_handle_error(run_state& run, run_context& ctx, const error_info& error) const = 0;
    /// Calls on_wait or on_resume.
    virtual void call_wait_hook(hook_point hook, run_state& run, run_context& ctx, const wait_info& wait) const = 0;
    /// The run's output as JSON, null when it has none (or the task has no result).
    [[nodiscard]] virtual nlohmann::json output_json(run_state& run) const = 0;

protected:
    void define(hook_point hook, bool present) noexcept {
        if (present) hooks_ |= 1U << static_cast<unsigned>(hook);
    }

private:
    unsigned hooks_ = 0;
};

}  // namespace taskkit::detail
