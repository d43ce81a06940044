/// @file detail/run_state.hpp
/// The live state of one run, shared by the runtime, handles and stores. Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/backend/local_run.hpp>
#include <taskkit/detail/end_flag.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/run_filter.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>

namespace taskkit::detail {

class runtime_core;
class run_services;
struct task_definition_base;
struct queue_state;
struct key_state;
struct run_state;

/// An optional time point in 8 bytes (time_point::min() stands for none).
class optional_time {
public:
    optional_time() = default;
    optional_time(time_point t) noexcept;  // NOLINT: converts like std::optional
    optional_time& operator=(time_point t) noexcept {
        t_ = t;
        return *this;
    }
    explicit operator bool() const noexcept { return t_ != none(); }
    [[nodiscard]] time_point operator*() const noexcept { return t_; }
    [[nodiscard]] time_point value_or(time_point otherwise) const noexcept { return *this ? t_ : otherwise; }
    void reset() noexcept { t_ = none(); }
    operator std::optional<time_point>() const {  // NOLINT: converts like std::optional
        return *this ? std::optional<time_point>(t_) : std::nullopt;
    }

private:
    static constexpr time_point none() noexcept { return time_point::min(); }
    time_point t_ = none();
};

/// A status change noted while another thread was publishing the run's earlier ones.
struct noted_change {
    run_status status;
    int attempt;
    bool quiet = false;  ///< nothing observed status changes when it was made: no event to deliver
};

/// One stream of a run: its most recent chunks (chunks[i] is the stream's number dropped + i).
struct stream_buffer {
    std::deque<nlohmann::json> chunks;
    std::size_t dropped = 0;
    [[nodiscard]] std::size_t appended() const noexcept { return dropped + chunks.size(); }
    /// Appends `chunk` as the next chunk, keeping the most recent `limit` (like the logs; none
    /// for 0), and returns its index in the stream.
    std::size_t keep(nlohmann::json chunk, std::size_t limit) {
        const auto index = appended();
        if (limit == 0) {
            ++dropped;
            return index;
        }
        if (chunks.size() >= limit) {
            chunks.pop_front();
            ++dropped;
        }
        chunks.push_back(std::move(chunk));
        return index;
    }
};

/// The parts of a run that most runs never use, allocated on first use so a queued run stays
/// small. The fields marked fixed are written before the run is published and never change;
/// the rest are guarded by the run's mutex.
struct run_extras {
    // fixed
    std::string parent_id;
    std::string idempotency_key;
    std::string batch_id;
    std::string queue_override;  ///< the trigger's `.queue`, when it names another queue
    std::string concurrency_key;
    std::vector<std::string> tags;
    std::optional<time_point> expires_at;  ///< ttl: not started by then → expired
    run_services* recorder = nullptr;      ///< see run_state::recorder()
    // guarded by run_state::mutex
    std::optional<error_info> error;
    nlohmann::json metadata;      ///< a JSON object, or null while empty
    std::vector<log_entry> logs;  ///< once full, a ring: the oldest line at `oldest_log`
    std::size_t oldest_log = 0;
    std::size_t dropped_logs = 0;
    std::vector<error_info> hook_errors;
    std::vector<std::weak_ptr<run_state>> children;
    std::vector<std::string> child_ids;
    std::vector<std::function<void()>> finish_callbacks;  ///< one-shot, run after a terminal status
    /// Changes waiting for the thread that is publishing this run's events (see run_state::publishing).
    std::vector<noted_change> unpublished;
    /// Memoized steps: each step's result, by its key, kept across attempts (a backend in the process).
    std::map<std::string, nlohmann::json, std::less<>> steps;
    /// The run's streams (ctx.stream), each its most recent chunks.
    std::map<std::string, stream_buffer, std::less<>> streams;
    /// What the run waits for while a wait inside its attempt lasts (run_record::waiting_for).
    std::optional<wait_info> waiting_for;
    /// Held (before the run's mutex) across a metadata change made in this process, from the change
    /// to its object through its write to the backend, and while a backend's update of the run's
    /// metadata reaches the object: the object then never holds a change of its own that the
    /// backend has not stored, when the backend's newer state of the run arrives from another
    /// process, and two changes made here reach the object and the backend in one order.
    /// Recursive: a backend that refuses a change gives the object its own state back at once.
    std::recursive_mutex metadata_writes;
};

/// The bound on a stream's kept chunks when no runtime sets one (runtime_options::max_stream_chunks).
inline constexpr std::size_t default_max_stream_chunks = 10000;
/// The most streams one run may have.
inline constexpr std::size_t max_streams_per_run = 64;

/// Throws options_error for a chunk that nests deeper than max_payload_depth allows below a
/// record's streams.
void check_stream_chunk(std::string_view stream, const nlohmann::json& chunk);

/// Appends `chunk` to stream `name` of a run (call with its mutex held), keeping the most recent
/// `limit` chunks; returns the chunk's index in the stream. Throws options_error when the run
/// already has max_streams_per_run other streams.
std::size_t keep_stream_chunk(run_extras& extras, std::string_view name, nlohmann::json chunk, std::size_t limit);

/// A copy of stream `name` of a run (call with its mutex held): empty when the run has none.
[[nodiscard]] stream_record copy_stream(const run_extras* extras, std::string_view name);

/// Live state of a run. Fields above `mutex` are fixed once the run is created; the rest are
/// guarded by `mutex`. Rarely used fields live in `run_extras`, reached through `extras()`.
struct run_state : local_run {
    run_state() = default;
    TASKKIT_DECL ~run_state() override;

    std::string id;
    [[nodiscard]] std::string_view run_id() const noexcept override { return id; }
    /// run_id_digest(id), computed once when the memory backend holds the run (its index and its
    /// retirement both need it).
    std::uint64_t id_digest = 0;
    /// Which typed_output_state<R> this is (&output_type_tag<R>), so a run_handle<R> reads the typed
    /// output with a comparison instead of a dynamic_cast. Null for runs without a typed output.
    /// A virtual call, not a member: every queued run would carry the pointer.
    [[nodiscard]] virtual const void* output_type() const noexcept { return nullptr; }
    std::shared_ptr<const task_definition_base> task;
    std::string_view task_id;  ///< points into *task, which this run keeps alive
    std::weak_ptr<runtime_core> runtime;
    /// Set when the runtime's backend stores logs and metadata itself (a database): told of each
    /// line and each metadata change. Null for the memory backend, whose record is this object.
    /// Kept in the extras, which every run on such a backend has: a queued run in memory stays small.
    [[nodiscard]] run_services* recorder() const noexcept {
        const auto* e = extras_if_any();
        return e ? e->recorder : nullptr;
    }
    queue_state* queue = nullptr;   ///< owned by the runtime; valid while the runtime lives
    std::string_view queue_name;    ///< into *task, or into the extras' queue_override
    key_state* key = nullptr;       ///< the key's copy of the queue (scheduler lock)
    std::uint64_t queue_token = 0;  ///< nonzero while the run sits in its key's pending heap (scheduler lock)
    /// Order in the queue: trigger time minus priority (computed: a queued run stays small).
    [[nodiscard]] time_point rank() const noexcept { return created_at - std::chrono::seconds(priority); }
    time_point created_at;
    machine machine_spec;
    std::chrono::milliseconds max_duration{0};  ///< per attempt; zero: no limit
    int priority = 0;
    int max_attempts = 1;  ///< the task's retry policy, or the trigger's override

    mutable std::mutex mutex;
    run_status status = run_status::queued;
    int attempts_started = 0;  ///< attempt numbers keep counting across retry()
    int budget_start = 0;      ///< attempts before this one do not count against max_attempts
    /// Mirrors is_terminal(status); read without the lock by the dispatcher, and waited on
    /// by threads outside any runtime.
    end_flag ended;
    bool cancel_requested = false;
    bool timed_out = false;
    /// This process lost the lease of attempt `executing_here` (another process took the run
    /// over): that attempt is stopped, and its outcome is refused.
    bool lease_lost = false;
    /// A thread is delivering this run's status events: changes made meanwhile queue up in the
    /// extras' `unpublished` and are delivered by that thread, in order (per-run event order).
    bool publishing = false;
    /// For a backend that keeps no objects: the attempt of the run executing in this process
    /// (records and events of other processes leave it be). Zero: none.
    int executing_here = 0;
    /// Bumped (under `mutex`) by retry() and reschedule: timers of an earlier cycle compare and
    /// do nothing. Atomic so a store can tell a stale finish from the current one without the lock.
    std::atomic<std::uint64_t> generation{0};
    std::vector<attempt_record> attempts;
    optional_time started_at;
    optional_time finished_at;
    optional_time run_at;
    /// Created when an execution cycle (trigger or retry()) starts its first attempt, so queued
    /// runs allocate no stop state.
    std::stop_source stop{std::nostopstate};

    /// The extras, created on first use. Call with `mutex` held, or before the run is published.
    run_extras& extras();
    /// The run's run_extras::metadata_writes (making its extras, under `mutex`, when it has none).
    std::recursive_mutex& metadata_writes();
    /// The extras, or null when the run has none. Their fixed fields may be read without the lock.
    [[nodiscard]] const run_extras* extras_if_any() const noexcept;
    [[nodiscard]] run_extras* extras_if_any() noexcept;

    [[nodiscard]] std::string_view parent_id() const noexcept;
    [[nodiscard]] std::string_view idempotency_key() const noexcept;
    [[nodiscard]] std::string_view concurrency_key() const noexcept;
    [[nodiscard]] std::span<const std::string> tags() const noexcept;
    [[nodiscard]] std::optional<time_point> expires_at() const noexcept;

    /// The payload as JSON (computed on demand: typed triggers never round-trip through JSON).
    [[nodiscard]] virtual nlohmann::json payload_json() const = 0;
    /// The output as JSON; call with `mutex` held.
    [[nodiscard]] virtual nlohmann::json output_json_locked() const = 0;
    /// Drops the output of an earlier cycle; call with `mutex` held.
    virtual void reset_output_locked() = 0;
    /// Sets the output from a backend's record (a run another process or attempt completed); call
    /// with `mutex` held. False when the JSON does not convert to the task's result type.
    virtual bool set_output_json_locked(const nlohmann::json& output) = 0;
    /// Takes the payload of `from`, a run of the same task (its payload type): a trailing
    /// debounce's last payload, given to the delayed run before it starts. Call with `mutex` held.
    /// False when `from` holds another payload type (nothing changes).
    virtual bool take_payload_locked(run_state& from) {
        (void)from;
        return false;
    }

    /// A consistent copy of the record.
    [[nodiscard]] run_record snapshot() const;

    /// What a run_filter reads of the run (fixed once it is created).
    [[nodiscard]] run_facts facts() const noexcept {
        const auto* e = extras_if_any();
        return run_facts{task_id, tags(), queue_name, created_at,
                         e ? std::string_view(e->batch_id) : std::string_view()};
    }

    /// The error the run ended with, if any; call with `mutex` held.
    [[nodiscard]] const std::optional<error_info>& error_locked() const noexcept;

    [[nodiscard]] run_status current_status() const;

    /// Blocks until the run is terminal (for waits that no runtime serves any more).
    void wait_terminal() const;

private:
    std::atomic<run_extras*> extras_{nullptr};
};

/// One object per result type: its address names the type (run_state::output_type).
template <class R>
inline constexpr char output_type_tag = 0;

/// The output half of a typed run: what a run_handle<R> reads without knowing the payload type.
template <class R>
struct typed_output_state : run_state {
    [[nodiscard]] const void* output_type() const noexcept override { return &output_type_tag<R>; }

    std::optional<R> output;  ///< guarded by `mutex`

    [[nodiscard]] nlohmann::json output_json_locked() const override {
        return output ? nlohmann::json(*output) : nlohmann::json(nullptr);
    }
    void reset_output_locked() override { output.reset(); }
    bool set_output_json_locked(const nlohmann::json& j) override {
        try {
            output = j.template get<R>();
            return true;
        } catch (const std::exception&) {
            output.reset();
            return false;
        }
    }
};

template <>
struct typed_output_state<void> : run_state {
    [[nodiscard]] nlohmann::json output_json_locked() const override { return nullptr; }
    void reset_output_locked() override {}
    bool set_output_json_locked(const nlohmann::json&) override { return true; }
};

/// A run of a task with payload type P and result type R: the payload and output live here,
/// typed, so a typed trigger never converts to JSON.
template <class P, class R>
struct typed_run_state final : typed_output_state<R> {
    explicit typed_run_state(P p) : payload(std::move(p)) {}

    P payload;

    [[nodiscard]] nlohmann::json payload_json() const override { return payload; }
    bool take_payload_locked(run_state& from) override {
        auto* same = dynamic_cast<typed_run_state*>(&from);
        if (!same) return false;
        payload = std::move(same->payload);
        return true;
    }
};

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/run_state.ipp>
#endif
