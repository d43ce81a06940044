/// @file backend/run_request.hpp
/// What a runtime asks its backend to create, and what the backend answers.
#pragma once

#include <taskkit/detail/config.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <taskkit/backend/local_run.hpp>
#include <taskkit/debounce.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/run_record.hpp>

namespace taskkit {

/// A run to create, every option of its trigger resolved to a value: what a trigger, a batch
/// item, a replay or a schedule's fire hands to backend::create. The views are valid during the
/// call only.
struct run_request {
    std::string_view id;               ///< made by the runtime, unique across processes: "run_" + 20 hex digits
    std::string_view task_id;          ///< a task of the runtime's registry
    std::string_view queue;            ///< the queue the run waits in (the task's, or the trigger's `.queue`)
    std::string_view concurrency_key;  ///< empty: the queue's default key
    int priority = 0;                  ///< seconds of head start over runs without priority
    time_point created_at;
    std::optional<time_point> run_at;      ///< a delayed run is not runnable before this
    std::optional<time_point> expires_at;  ///< ttl: a run not started by then ends expired
    std::string_view idempotency_key;      ///< empty: none
    time_point idempotency_expires_at;     ///< when the key stops answering with this run
    std::span<const std::string> tags;
    const nlohmann::json* metadata = nullptr;   ///< a JSON object, or null for none
    taskkit::machine machine_spec;              ///< what it holds from the budget (machines::none: nothing)
    int max_attempts = 1;                       ///< attempts counted against the retry policy
    std::chrono::milliseconds max_duration{0};  ///< per attempt; 0: no limit
    std::string_view parent_id;                 ///< the run that triggered it; empty for a root run
    std::string_view batch_id;                  ///< set for runs of a batch
    std::shared_ptr<local_run> local;           ///< the runtime's object for the run
    /// Debounce (empty: none), per task: while the run holding this key is still delayed, the
    /// backend creates nothing and answers that run (created_run::existing), moving its run_at to
    /// `created_at + debounce_delay`, never past `debounce_max_delay` after the run's own creation
    /// (`time_point::max()`: no cap); trailing also replaces its payload with this request's. A
    /// run that is no longer delayed gives the key to this request's run (a new window). Decided
    /// atomically, after the idempotency key (an earlier run holding that key answers first).
    /// The request's run_at is `created_at + debounce_delay`.
    std::string_view debounce_key;
    std::chrono::milliseconds debounce_delay{0};
    std::chrono::milliseconds debounce_max_delay = std::chrono::milliseconds::max();
    taskkit::debounce_mode debounce_mode = taskkit::debounce_mode::leading;

    /// The payload as JSON: a typed payload is converted now (a memory backend never asks).
    [[nodiscard]] nlohmann::json payload() const;
};

/// What backend::create answers. When `existing` is false the request's run was created: the
/// caller knows its id and holds its object, so a backend may leave `id` and `local` empty.
struct created_run {
    /// The earlier run holding the idempotency key, when `existing`.
    std::string id;
    /// True when an earlier run holds the trigger's idempotency key: nothing was created.
    bool existing = false;
    /// The earlier run's in-process object, when `existing` and the backend keeps one (null: ask by id).
    std::shared_ptr<local_run> local;
    /// True when `existing` is a delayed run the request's debounce key joined (not its idempotency key).
    bool debounced = false;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/backend/impl/run_request.ipp>
#endif
