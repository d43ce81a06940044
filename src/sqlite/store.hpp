// taskkit::sqlite::detail::store — a taskkit SQLite database as plain values in and out: runs
// created, claimed with leases, finished, waited, canceled, retried, rescheduled, found and listed;
// logs, metadata, hook errors and memoized steps; schedule fires; the events other processes
// follow. The SQLite backend is a thin layer over it. Internal to taskkit::sqlite.
//
// Every function that changes the file does it in one IMMEDIATE transaction, committed before it
// returns (durable then, see sqlite_options::synchronous), so that several connections — in this
// process or in others — see and honour one state: each run is claimed by one, limits, caps, rate
// windows and idempotency keys hold across all of them. Functions that depend on time take `now`
// from the caller (the runtime's clock; tests pass explicit times).
//
// A store is thread-safe: it holds a writer connection and a reader connection, each behind its own
// mutex. Use one store per process (or several, to test several processes from one).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/backend/run_request.hpp>
#include <taskkit/backend/token_request.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/metadata_change.hpp>
#include <taskkit/queue_options.hpp>
#include <taskkit/queue_stats.hpp>
#include <taskkit/run_filter.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>
#include <taskkit/sqlite/sqlite_error.hpp>
#include <taskkit/sqlite/sqlite_options.hpp>
#include <taskkit/waitpoint_record.hpp>

namespace taskkit::sqlite::detail {

class connection;

/// Nanoseconds since the Unix epoch, the unit of every time column.
[[nodiscard]] std::int64_t to_ns(time_point t) noexcept;
[[nodiscard]] time_point from_ns(std::int64_t ns) noexcept;

/// A run to create: what backend::create receives, with its payload as JSON (a run_request's
/// payload() converts a typed one; the store writes JSON). The views must stay valid during the call.
struct new_run : run_request {
    const nlohmann::json* payload_json = nullptr;  ///< null: JSON null
};

/// What create answers.
struct created {
    std::string id;         ///< the new run, or the earlier one holding the idempotency key
    bool existing = false;  ///< an earlier run holds the key: nothing was created
    run_status status = run_status::queued;
    bool debounced = false;  ///< `existing` is a delayed run the debounce key joined
};

/// A claim of one attempt: proof of it for finish, renew, suspend, resume and steps.
struct lease_info {
    std::string run_id;
    std::string owner;
    std::int64_t token = 0;  ///< random, per claim: a stale lease is refused
    int attempt = 0;         ///< the attempt's number (counting across retry())
    time_point expires_at;
};

/// A claimed run, with everything needed to execute its attempt.
struct claimed {
    lease_info lease;
    int attempt_in_budget = 1;  ///< the attempt's number counted against max_attempts
    int max_attempts = 1;
    std::chrono::milliseconds max_duration{0};
    run_record record;
};

/// A run that ended without an attempt of its own while an attempt of its cycle had run (canceled
/// while waiting to retry, canceled when its lease expired): its on_failure/on_complete hooks are
/// owed.
struct ended_run {
    std::string id;
    std::string task_id;
    run_status status = run_status::canceled;
};

/// What claim asks for.
struct claim_request {
    std::string_view owner;  ///< the claiming process's id (leases carry it)
    time_point now;
    machine free{0, 0};        ///< what is free of the caller's cpu/memory budget
    std::size_t max_runs = 1;  ///< claims up to this many runs in the one transaction
    /// The tasks the caller can execute, sorted; empty: any. A key whose next run is of another
    /// task is passed over (its order kept): a process that defines the task takes it.
    std::span<const std::string> tasks;
    /// Runs an attempt of which still runs in the caller's process, sorted: a lease that lapsed
    /// there (the process starved of the write lock, say) was rescued, and a new attempt must not
    /// run beside the old one on the same run's object. Such a run is passed over for the next of
    /// its key: it is left for another process, or for the caller once the old attempt has returned.
    std::span<const std::string> busy;
};

/// What claim answers.
struct claim_result {
    std::vector<claimed> runs;         ///< the claimed runs, in claim order
    std::vector<std::string> resumed;  ///< the caller's waiting runs granted their slot back
    std::vector<ended_run> ended;      ///< runs that ended by rescue or cancel and are owed hooks
    std::optional<time_point>
        next_wakeup;           ///< when something may become claimable (due, ttl, another owner's lease, rate)
    std::size_t released = 0;  ///< delayed or retrying runs that became queued
    std::size_t expired = 0;   ///< runs that expired (ttl)
    std::size_t rescued = 0;   ///< runs whose lease expired, queued for a new attempt
    std::size_t crashed = 0;   ///< runs whose lease expired with no attempt left
};

/// How an attempt ended.
struct outcome {
    run_status status = run_status::completed;  ///< completed, failed, retrying, canceled, timed_out
    std::optional<error_info> error;
    std::optional<time_point> retry_at;  ///< when retrying
    bool interrupted = false;            ///< the runtime shut down during the attempt: queue it again
    nlohmann::json output;
};

/// What finish did.
struct finish_result {
    bool accepted = false;  ///< false: the lease was lost (expired and taken over); nothing was written
    run_status status = run_status::completed;  ///< the run's status now
    bool ended_between_attempts = false;        ///< retrying became canceled: hooks are owed
    std::optional<claim_result> next;           ///< the next claim, when asked for (and accepted)
};

enum class lease_state {
    held,              ///< still this claim's
    cancel_requested,  ///< still held, and the run's cancel was requested
    lost,              ///< expired and taken over, or the run ended: stop
};

/// What a waiting run waits for (stored with the run).
struct wait_info {
    std::vector<std::string> runs;
    bool any = false;
    std::optional<time_point> until;
    std::string token;  ///< a waitpoint token's id; empty: none
    /// What the run waits for, as its record shows it (runs.waiting_for); empty: not told.
    std::optional<taskkit::wait_info> shown;
};

enum class resume_state {
    granted,  ///< the run executes again, holding its slot
    pending,  ///< it waits for its slot, served before new claims (claim or grant_resumers grants it)
    lost,     ///< the lease was lost
};

/// What cancel did.
struct cancel_result {
    bool changed = false;               ///< false: no such run, or it had ended (nothing canceled)
    std::vector<std::string> canceled;  ///< runs that ended canceled (the run and its children)
    struct requested {
        std::string id;
        std::string owner;
    };
    std::vector<requested> stop_requested;  ///< executing or waiting runs whose cancel was requested
    std::vector<ended_run> ended;           ///< canceled runs owed hooks (an attempt of their cycle ran)
};

/// One change of one run, as other processes follow them.
struct event {
    std::int64_t seq = 0;
    std::string run_id;
    std::string task_id;
    /// token_completed: `run_id` is the id of a waitpoint token that was completed. metadata: `data`
    /// is the run's whole metadata object after the change; stream: chunk `index` of `stream`, `data`.
    enum class kind { status, cancel_requested, token_completed, metadata, stream } what = kind::status;
    run_status status = run_status::queued;
    int attempt = 0;
    /// status, cancel_requested: the lease holder when the change was made, if any. metadata,
    /// stream: the process that made the change.
    std::string owner;
    time_point at;
    std::string stream;
    std::size_t index = 0;
    std::string data;  ///< JSON text (metadata, stream)
};

/// A chunk a run appended to one of its streams, to store (its JSON as text).
struct chunk_entry {
    std::string run_id;
    std::string stream;
    std::size_t index = 0;
    std::string chunk;
};

struct event_batch {
    std::vector<event> events;
    std::int64_t last_seq = 0;        ///< pass to the next call
    bool missed = false;              ///< events after the given sequence were pruned: read the records again
    std::int64_t pruned_through = 0;  ///< the last pruned event: a follower that missed events goes on after it
};

/// A run's columns beyond its record.
struct run_state_info {
    run_record record;
    std::int64_t rank = 0;
    std::optional<time_point> expires_at;
    time_point idempotency_expires_at;
    int max_attempts = 1;
    std::chrono::milliseconds max_duration{0};
    int attempts_started = 0;
    int budget_start = 0;
    std::int64_t generation = 0;
    std::string lease_owner;
    std::int64_t lease_token = 0;
    std::optional<time_point> lease_expires_at;
    bool cancel_requested = false;
    std::optional<wait_info> wait;
    bool resume_requested = false;
};

/// Counts of one queue, as claims see them.
struct queue_counts {
    int queued = 0;
    int executing = 0;
    int resuming = 0;
};

class store {
public:
    /// Opens (creating when missing) and migrates the file. Throws sqlite_error subclasses.
    explicit store(const sqlite_options& options);
    store(const store&) = delete;
    store& operator=(const store&) = delete;
    ~store();

    [[nodiscard]] const sqlite_options& options() const noexcept { return options_; }
    /// The schema version the file was at when this store opened it (0: created now).
    [[nodiscard]] int opened_at_version() const noexcept { return opened_at_; }

    // ------------------------------------------------------------------ queues

    /// Declares a queue's limits for every process (the last declaration wins).
    void declare_queue(const queue_options& queue, time_point now);
    [[nodiscard]] queue_counts counts(std::string_view queue, std::optional<std::string_view> key = {});
    /// Every queue the file holds, by name, with its counts, limits, pause and override.
    [[nodiscard]] std::vector<queue_stats> queues();
    /// Pauses or resumes a queue for every process; false when the file has no such queue.
    bool set_paused(std::string_view queue, bool paused);
    /// Overrides (or, with nullopt, resets) a queue's concurrency limit for every process; false
    /// when the file has no such queue.
    bool set_limit_override(std::string_view queue, std::optional<int> limit);

    // ------------------------------------------------------------------ creating

    /// Creates a run, or answers with the earlier run holding its idempotency key (decided
    /// atomically: concurrent creates with one key, from any process, create one run).
    created create(const new_run& run, time_point now);
    /// Creates several runs in one transaction (one commit for a batch).
    std::vector<created> create(std::span<const new_run> runs, time_point now);

    // ------------------------------------------------------------------ claiming

    /// In one transaction: releases due delayed and retrying runs, expires runs past their ttl,
    /// rescues runs whose lease expired, grants the caller's waiting runs their slot back, then
    /// claims up to max_runs runs honouring every limit.
    claim_result claim(const claim_request& request);
    /// Only the maintenance of a claim (due runs queued, ttl, lapsed leases rescued), in one
    /// transaction: for a timer at a due time, while every worker may be busy.
    claim_result maintain(std::string_view owner, time_point now);
    /// When something may next become claimable for `owner`: a delayed or retrying run due, a ttl,
    /// the lease of another owner lapsing (a caller renews its own). Reads only.
    [[nodiscard]] std::optional<time_point> next_wakeup(std::string_view owner);
    /// Claims `run_id` itself when it is queued and may start now (a waiting run executing what
    /// it waits for); nothing otherwise.
    std::optional<claimed> claim_run(std::string_view run_id, std::string_view owner, time_point now, machine free);
    /// Ends an attempt; with `next`, claims the next run in the same transaction.
    finish_result finish(const lease_info& lease, const outcome& result, time_point now,
                         const claim_request* next = nullptr);
    /// Extends leases (one transaction for all).
    lease_state renew(const lease_info& lease, time_point now);
    std::vector<lease_state> renew(std::span<const lease_info> leases, time_point now);

    // ------------------------------------------------------------------ waits

    /// The run starts waiting: it gives its slot back (its lease stays, renewed as before).
    bool suspend(const lease_info& lease, const wait_info& what, time_point now);
    /// The waiting run asks its slot back.
    resume_state resume(const lease_info& lease, machine free, time_point now);
    /// Grants the owner's pending resumers that fit now; returns their ids.
    std::vector<std::string> grant_resumers(std::string_view owner, machine free, time_point now);

    // ------------------------------------------------------------------ control

    cancel_result cancel(std::string_view run_id, time_point now);
    /// Queues a failed, canceled or timed-out run again with a fresh attempt budget.
    void retry(std::string_view run_id, time_point now);
    /// Moves a delayed run's start.
    void reschedule(std::string_view run_id, time_point at, time_point now);

    // ------------------------------------------------------------------ reading

    [[nodiscard]] std::optional<run_record> find(std::string_view run_id);
    [[nodiscard]] std::optional<run_state_info> inspect(std::string_view run_id);
    /// One page of the runs matching `filter`, newest first (creation time, then id); the cursor
    /// is "<created_at in ns>:<id>" of the page's last run, as the memory backend's.
    [[nodiscard]] run_page list(const run_filter& filter);

    // ------------------------------------------------------------------ what attempts write

    /// Appends log lines (one transaction); the most recent max_logs_per_run are kept.
    void append_logs(std::string_view run_id, std::span<const log_entry> entries);
    void set_metadata(std::string_view run_id, const nlohmann::json& metadata, time_point now);
    /// Applies `change` to the metadata the file holds for `run_id` (taskkit::apply), in one write
    /// transaction, so that changes other processes made meanwhile are kept, and writes a metadata
    /// event made by `owner`. Returns the metadata after the change and the event's sequence
    /// number. Throws state_error for an unknown run, options_error when the change does not fit
    /// (nothing is written then).
    struct metadata_written {
        nlohmann::json metadata;
        std::int64_t seq = 0;
    };
    metadata_written change_metadata(std::string_view run_id, const metadata_change& change, std::string_view owner,
                                     time_point now);
    /// Stores stream chunks, oldest first, with a stream event each (maker `owner`), in one write
    /// transaction; the most recent max_stream_chunks of each stream are kept. Chunks of runs the
    /// file does not hold are skipped.
    void append_chunks(std::span<const chunk_entry> chunks, std::string_view owner, time_point now,
                       std::size_t max_chunks);
    void add_hook_error(std::string_view run_id, const error_info& error, time_point now);
    [[nodiscard]] std::optional<nlohmann::json> step_result(std::string_view run_id, std::string_view key);
    /// Stores a step's result; false when the lease was lost (the result is not stored).
    bool save_step(const lease_info& lease, std::string_view key, const nlohmann::json& result, time_point now);

    // ------------------------------------------------------------------ waitpoint tokens (tokens.cpp)

    /// Creates a token, or answers with the one holding its idempotency key (atomically, across processes).
    created_token create_token(const token_request& request, time_point now);
    /// Completes a waiting token and writes its token_completed event; already_completed for a
    /// completed one. Throws unknown_token_error, token_timed_out_error (timeout_at <= now).
    token_completion complete_token(std::string_view id, const nlohmann::json& data, time_point now);
    /// A token with its status at `now`.
    [[nodiscard]] std::optional<token_record> find_token(std::string_view id, time_point now);
    /// The tokens matching `filter` at `now`, newest first.
    [[nodiscard]] std::vector<token_record> list_tokens(const token_filter& filter, time_point now);

    // ------------------------------------------------------------------ schedules

    /// True for the one caller, across processes, that fires `schedule_id` at `nominal`.
    bool claim_schedule_fire(std::string_view schedule_id, time_point nominal, std::string_view owner, time_point now);

    // ------------------------------------------------------------------ events

    /// Events after `after_seq`, oldest first.
    [[nodiscard]] event_batch events_since(std::int64_t after_seq, std::size_t limit = 1000);
    /// The sequence number of the last event written (pruned ones included).
    [[nodiscard]] std::int64_t last_event_seq();
    /// For a follower whose events were pruned: one status event per run changed at or after
    /// `since`, with its current status (oldest change first).
    [[nodiscard]] std::vector<event> changed_since(time_point since, std::size_t limit = 100'000);

    /// Drops what is no longer needed: events and schedule fires past their retention, expired
    /// idempotency keys, rate-limit starts outside every window. Claims call it now and then.
    void prune(time_point now);

    /// The writer connection (tests set PRAGMAs on it).
    [[nodiscard]] connection& writer() noexcept { return *writer_; }

private:
    struct locked_connection;

    std::int64_t next_seq();
    std::int64_t new_token();
    created create_locked(const new_run& run, time_point now);
    /// The delayed run holding `run`'s debounce key, its start moved (and, trailing, its payload
    /// replaced); nullopt when no delayed run holds the key.
    std::optional<created> join_debounced_locked(const new_run& run);
    claim_result claim_locked(const claim_request& request);
    void maintain_locked(time_point now, claim_result& out);
    void grant_resumers_locked(std::string_view owner, machine& free, time_point now, std::vector<std::string>& out);
    std::optional<claimed> pick_locked(std::string_view owner, std::span<const std::string> tasks,
                                       std::span<const std::string> busy, time_point now, machine& free,
                                       std::optional<time_point>& next_wakeup);
    claimed start_locked(std::string_view run_id, std::string_view owner, time_point now);
    void record_start_locked(std::string_view queue, std::string_view key, time_point now);
    void wakeup_locked(connection& conn, std::string_view owner, std::optional<time_point>& next_wakeup);
    void cancel_locked(std::string_view run_id, time_point now, cancel_result& out);
    std::optional<run_record> find_locked(connection& conn, std::string_view run_id);
    std::optional<run_state_info> inspect_locked(connection& conn, std::string_view run_id);
    void prune_locked(time_point now);

    sqlite_options options_;
    int opened_at_ = 0;
    std::mutex write_mutex_;
    std::unique_ptr<connection> writer_;
    std::mutex read_mutex_;
    std::unique_ptr<connection> reader_;
    std::mt19937_64 random_;
    std::size_t claims_since_prune_ = 0;
    std::int64_t last_prune_ns_ = 0;
};

}  // namespace taskkit::sqlite::detail
