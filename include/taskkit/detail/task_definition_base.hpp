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
#include <taskkit/machine.hpp>
#include <taskkit/queue_options.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/run_context.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>

namespace taskkit::detail {

struct run_state;

/// What the runtime tells an attempt about its place in the run.
struct attempt_env {
    int attempt_in_budget = 1;                        ///< 1 for the first attempt counted against max_attempts
    bool first_attempt = true;                        ///< on_start runs only then
    const std::function<double()>* random = nullptr;  ///< uniform in [0, 1), for randomized retry delays
    const clock* time = nullptr;
    std::function<void(std::string_view hook, error_info)> hook_failed;  ///< records a hook's exception
};

/// How an attempt ended, and what comes next.
struct attempt_result {
    run_status next = run_status::completed;               ///< completed, retrying, failed, canceled or timed_out
    std::optional<std::chrono::milliseconds> retry_delay;  ///< set when next == retrying
    std::optional<error_info> error;                       ///< set unless completed
};

/// A task definition without its payload and result types.
struct task_definition_base {
    virtual ~task_definition_base() = default;

    std::string id;
    std::string description;
    retry_options retry;
    queue_options queue;  ///< name always set (the task id when the user gave none)
    machine machine_spec;
    std::optional<std::chrono::milliseconds> max_duration;
    /// A JSON Schema describing the payload, for tools (null when the task has none).
    nlohmann::json payload_schema;
    /// Checks a payload (as JSON) before any run is created; throws to refuse it. Empty: none.
    std::function<void(const nlohmann::json&)> validate_payload;

    /// A new run whose payload is decoded from JSON; throws payload_error when it does not decode.
    [[nodiscard]] virtual std::shared_ptr<run_state> make_run_from_json(const nlohmann::json& payload) const = 0;
    /// A new run with a copy of `run`'s payload (for replay).
    [[nodiscard]] virtual std::shared_ptr<run_state> clone_run(const run_state& run) const = 0;
    /// Runs one attempt: middleware, init, on_start, run, then the hooks its outcome calls for.
    virtual attempt_result execute_attempt(run_state& run, run_context& ctx, const attempt_env& env) const = 0;
    /// Runs on_failure and on_complete for a run that ended without an attempt executing
    /// (canceled while waiting to retry, say).
    virtual void run_terminal_hooks(run_state& run, run_context& ctx, const error_info& error,
                                    const attempt_env& env) const = 0;
};

}  // namespace taskkit::detail
