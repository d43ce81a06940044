/// @file detail/run_state.hpp
/// The live state of one run, shared by the runtime, handles and stores. Not for users.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/machine.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>

namespace taskkit::detail {

class runtime_core;
struct task_definition_base;
struct queue_state;
struct key_state;

/// Live state of a run. Fields above `mutex` are fixed once the run is created; the rest are
/// guarded by `mutex`.
struct run_state {
    run_state() = default;
    run_state(const run_state&) = delete;
    run_state& operator=(const run_state&) = delete;
    virtual ~run_state() = default;

    std::string id;
    std::shared_ptr<const task_definition_base> task;
    std::string_view task_id;  ///< points into *task, which this run keeps alive
    std::weak_ptr<runtime_core> runtime;
    std::string parent_id;
    queue_state* queue = nullptr;  ///< owned by the runtime; valid while the runtime lives
    std::string queue_name;
    std::string concurrency_key;
    key_state* key = nullptr;       ///< the key's copy of the queue (scheduler lock)
    std::uint64_t queue_token = 0;  ///< nonzero while the run sits in its key's pending heap (scheduler lock)
    time_point rank;                ///< order in the queue: trigger time minus priority
    int priority = 0;
    std::string idempotency_key;
    std::string batch_id;
    machine machine_spec;
    retry_options retry;
    std::optional<std::chrono::milliseconds> max_duration;
    std::vector<std::string> tags;
    time_point created_at;
    std::optional<time_point> expires_at;  ///< ttl: not started by then → expired

    mutable std::mutex mutex;
    run_status status = run_status::queued;
    int attempts_started = 0;  ///< attempt numbers keep counting across retry()
    int budget_start = 0;      ///< attempts before this one do not count against max_attempts
    std::vector<attempt_record> attempts;
    std::optional<time_point> started_at;
    std::optional<time_point> finished_at;
    std::optional<time_point> run_at;
    std::optional<error_info> error;
    nlohmann::json metadata;  ///< a JSON object, or null while empty (saves an allocation per run)
    std::vector<log_entry> logs;
    std::size_t dropped_logs = 0;
    std::vector<error_info> hook_errors;
    std::vector<std::weak_ptr<run_state>> children;
    std::vector<std::string> child_ids;
    /// Created when an execution cycle (trigger or retry()) starts its first attempt, so queued
    /// runs allocate no stop state.
    std::stop_source stop{std::nostopstate};
    bool cancel_requested = false;
    bool timed_out = false;
    /// Mirrors is_terminal(status); read without the lock by the dispatcher, and waited on
    /// (std::atomic::wait) by threads outside any runtime.
    std::atomic<bool> ended{false};
    std::uint64_t generation = 0;  ///< bumped by retry(): timers of an earlier cycle compare and do nothing
    std::vector<std::function<void()>> finish_callbacks;  ///< one-shot, run after a terminal status

    /// The payload as JSON (computed on demand: typed triggers never round-trip through JSON).
    [[nodiscard]] virtual nlohmann::json payload_json() const = 0;
    /// The output as JSON; call with `mutex` held.
    [[nodiscard]] virtual nlohmann::json output_json_locked() const = 0;
    /// Drops the output of an earlier cycle; call with `mutex` held.
    virtual void reset_output_locked() = 0;

    /// A consistent copy of the record.
    [[nodiscard]] run_record snapshot() const {
        run_record r;
        r.id = id;
        r.task_id = std::string(task_id);
        r.payload = payload_json();
        r.queue = queue_name;
        r.machine_spec = machine_spec;
        r.tags = tags;
        r.parent_id = parent_id;
        r.concurrency_key = concurrency_key;
        r.priority = priority;
        r.idempotency_key = idempotency_key;
        r.batch_id = batch_id;
        r.created_at = created_at;
        std::lock_guard lock(mutex);
        r.status = status;
        r.output = output_json_locked();
        r.error = error;
        r.attempts = attempts;
        r.metadata = metadata.is_null() ? nlohmann::json::object() : metadata;
        r.children = child_ids;
        r.started_at = started_at;
        r.finished_at = finished_at;
        r.run_at = run_at;
        r.logs = logs;
        r.dropped_logs = dropped_logs;
        r.hook_errors = hook_errors;
        return r;
    }

    [[nodiscard]] run_status current_status() const {
        std::lock_guard lock(mutex);
        return status;
    }

    /// Blocks until the run is terminal (for waits that no runtime serves any more).
    void wait_terminal() const {
        while (!ended.load(std::memory_order_acquire)) ended.wait(false, std::memory_order_acquire);
    }
};

/// The output half of a typed run: what a run_handle<R> reads without knowing the payload type.
template <class R>
struct typed_output_state : run_state {
    std::optional<R> output;  ///< guarded by `mutex`

    [[nodiscard]] nlohmann::json output_json_locked() const override {
        return output ? nlohmann::json(*output) : nlohmann::json(nullptr);
    }
    void reset_output_locked() override { output.reset(); }
};

template <>
struct typed_output_state<void> : run_state {
    [[nodiscard]] nlohmann::json output_json_locked() const override { return nullptr; }
    void reset_output_locked() override {}
};

/// A run of a task with payload type P and result type R: the payload and output live here,
/// typed, so a typed trigger never converts to JSON.
template <class P, class R>
struct typed_run_state final : typed_output_state<R> {
    explicit typed_run_state(P p) : payload(std::move(p)) {}

    P payload;

    [[nodiscard]] nlohmann::json payload_json() const override { return payload; }
};

}  // namespace taskkit::detail
