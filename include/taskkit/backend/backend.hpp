/// @file backend/backend.hpp
/// taskkit::backend — the seam between a runtime and where its runs live: queueing, claiming and
/// leases, waits, control, records. The memory backend (the default) keeps them in the process;
/// durable backends (SQLite, PostgreSQL) keep them in a database shared by several processes.
#pragma once

#include <taskkit/detail/config.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/backend/backend_host.hpp>
#include <taskkit/backend/lease.hpp>
#include <taskkit/backend/run_request.hpp>
#include <taskkit/backend/token_request.hpp>
#include <taskkit/error.hpp>
#include <taskkit/metadata_change.hpp>
#include <taskkit/queue_stats.hpp>
#include <taskkit/run_filter.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/waitpoint_record.hpp>

namespace taskkit {

/// What a backend can do, for the runtime to choose its path.
struct backend_traits {
    /// The backend keeps the runtime's local_run objects as its records (it lives in this
    /// process): claims hand them back, finish() reads the typed output from them, and logs and
    /// metadata written on them are the record. Otherwise the runtime sends JSON and gets records.
    bool keeps_local_runs = false;
    /// Runs outlive the process: shutdown leaves queued runs queued instead of canceling them.
    bool durable = false;
};

/// The run a control call (cancel, retry, reschedule) names: its id and, when the caller holds it
/// (a handle does), the runtime's object for it — so a backend that keeps local runs finds a run
/// it has stopped listing, and a database ignores it.
struct run_target {
    std::string_view id;
    std::shared_ptr<local_run> local;  ///< may be null
};

/// Where a runtime's runs live, and who decides which run executes next. A backend owns, for
/// every run: its creation (idempotency decided atomically, inside the backend), its status and
/// attempts, claiming runnable runs for workers with a lease (honouring each queue's limits,
/// per-key limits, total caps, fair rotation between keys, rate limits, priority, and the
/// runtime's machine budget), delays, retries and ttl, waits (a waiting run gives its slot back
/// and takes it back first when it may continue), cancel (with its children), retry, reschedule,
/// and the records the runs API reads. The runtime owns the threads, the attempts and their hooks,
/// stop tokens, max_duration, and waiting threads.
///
/// Every function may be called from any thread at once. A function that changes a run reports the
/// change through backend_host::status_changed before it returns, in order per run.
///
/// A backend is used by one runtime at a time (attach ... detach); several processes may share
/// what a durable backend stores. See docs/architecture.md for how a new backend is added and
/// tests/conformance for the conformance suite every backend passes.
class backend {
public:
    virtual ~backend() = default;

    /// What this backend can do.
    [[nodiscard]] virtual backend_traits traits() const noexcept = 0;

    // ---------------------------------------------------------------- lifetime

    /// Starts serving `host` (called once, before anything else).
    virtual void attach(backend_host& host) = 0;
    /// The runtime is shutting down: claim() returns nothing from now on. A backend whose runs
    /// do not outlive the process cancels every run that has not started (a run that started
    /// meanwhile ends by its own outcome); a durable one leaves them queued.
    virtual void shutdown() = 0;
    /// The runtime is gone: drop every reference to the host.
    virtual void detach() = 0;

    // ---------------------------------------------------------------- creating runs

    /// Creates a run, queued or delayed, or answers with the earlier run that holds its
    /// idempotency key (atomically: concurrent creates with one key create one run). Throws
    /// runtime_stopped_error after shutdown().
    virtual created_run create(const run_request& request) = 0;

    /// Creates the runs of a batch, in order, answering for each what create() would (so an
    /// item's idempotency key may be held by an earlier run, or by an earlier item of the same
    /// batch, which then answers for it). A backend that can creates them all in one transaction,
    /// so that either every run of the batch is durable or none is, and another process never sees
    /// part of it; the default calls create() for each request and promises neither: when one
    /// throws, the runs before it stay created. Throws runtime_stopped_error after shutdown().
    /// @code
    /// std::vector<created_run> created = backend.create_batch(requests);  // created[i] answers requests[i]
    /// @endcode
    virtual std::vector<created_run> create_batch(std::span<const run_request> requests) {
        std::vector<created_run> created;
        created.reserve(requests.size());
        for (const auto& request : requests) created.push_back(create(request));
        return created;
    }

    // ---------------------------------------------------------------- claiming

    /// The next run this runtime's workers may execute, with its status now executing and its
    /// attempt counted, or nothing when none may start now (backend_host::work_available is
    /// called when one may).
    virtual std::optional<claimed_run> claim() = 0;

    /// Claims `run` itself when it can start at once (a waiting run executing what it waits for);
    /// nothing otherwise.
    virtual std::optional<claimed_run> claim(const std::shared_ptr<local_run>& run) = 0;

    /// Ends the attempt of `held` and gives its slot and machine back. With `claim_next`, also
    /// claims the next run at once (a worker's one trip to the backend between two runs).
    virtual std::optional<claimed_run> finish(const lease& held, const attempt_outcome& outcome, bool claim_next) = 0;

    /// Extends a lease, and says whether it is still held (a backend whose leases never expire
    /// answers held, or cancel_requested).
    virtual lease_state renew(const lease& held) = 0;

    // ---------------------------------------------------------------- waits

    /// The run of `held` starts waiting (status waiting): it gives its slot and machine back.
    virtual void suspend(const lease& held, const wait_spec& what) = 0;

    /// The waiting run of `held` may continue: takes its slot and machine back (status executing).
    /// True when granted at once; otherwise the backend serves it before any new claim and calls
    /// backend_host::resume_granted when it is.
    virtual bool resume(const lease& held) = 0;

    // ---------------------------------------------------------------- control
    // A control call names its run by a run_target: its id, and the runtime's object for it when
    // the caller holds one (a handle does).

    /// Cancels a run and its children: a run that has not started ends canceled; an executing or
    /// waiting one has its cancel requested (backend_host::cancel_requested) and ends canceled
    /// when its attempt finishes. False when the run is unknown or had ended.
    virtual bool cancel(const run_target& run) = 0;

    /// Queues a failed, canceled or timed-out run again, keeping its id, with a fresh attempt
    /// budget. Throws state_error for a run in another status, runtime_stopped_error after shutdown().
    virtual void retry(const run_target& run) = 0;

    /// Moves a delayed run's start to `at`. Throws state_error for a run that is not delayed.
    virtual void reschedule(const run_target& run, time_point at) = 0;

    // ---------------------------------------------------------------- queues
    // A backend that shares its runs between processes keeps a queue's pause and limit override
    // where every process sees them. The defaults throw state_error: a backend without queue
    // controls says so instead of pretending.

    /// Every queue known (declared in the runtime's registry or used by a run), by name, with its
    /// counts and the limits in force.
    [[nodiscard]] virtual std::vector<queue_stats> queues() const {
        throw state_error("this backend does not report its queues");
    }

    /// Pauses (no attempt starts from the queue) or resumes a queue. Throws unknown_queue_error
    /// for a queue it does not know.
    virtual void pause_queue(std::string_view /*name*/, bool /*paused*/) {
        throw state_error("this backend cannot pause queues");
    }

    /// Overrides a queue's concurrency limit (at least 1), or goes back to the declared one
    /// (nullopt). Throws unknown_queue_error for a queue it does not know.
    virtual void set_queue_limit(std::string_view /*name*/, std::optional<int> /*limit*/) {
        throw state_error("this backend cannot change queue limits");
    }

    // ---------------------------------------------------------------- reading

    /// The run's object in this process, if the backend keeps one (the handles' fast path).
    [[nodiscard]] virtual std::shared_ptr<local_run> local(std::string_view run_id) const = 0;
    /// The record of a run, if the backend holds it.
    [[nodiscard]] virtual std::optional<run_record> find(std::string_view run_id) const = 0;
    /// One page of the runs matching `filter`, newest first (by creation time, then id).
    [[nodiscard]] virtual run_page list(const run_filter& filter) const = 0;

    // ---------------------------------------------------------------- what an attempt writes

    /// A log line a run wrote (already on its local object); a durable backend stores it.
    virtual void logged(const local_run& run, const log_entry& entry) = 0;
    /// A run's metadata changed by `change` (already on its local object, now `metadata`); a
    /// durable backend stores it, applying `change` to what it stores (so a change another process
    /// made to the same run meanwhile, a child's of its parent, is kept) and tells the processes
    /// that follow the run (backend_host::run_updated).
    virtual void metadata_changed(const local_run& run, const metadata_change& change,
                                  const nlohmann::json& metadata) = 0;
    /// Changes the metadata of a run this runtime does not hold (a child's change of a parent or
    /// root that executes in another process), atomically where the backend stores it, and tells
    /// the processes that follow it. Throws state_error for an unknown run; the default throws
    /// state_error: a backend whose runs all live in the process holds every run it knows.
    virtual void update_metadata(std::string_view run_id, const metadata_change& /*change*/) {
        throw state_error("run " + std::string(run_id) + " is not held in this process");
    }
    /// A run appended `chunk` to its stream `stream` as its chunk number `index` (already on its
    /// local object, which keeps the most recent ones); a durable backend stores it (with the same
    /// bound) and tells the processes that follow the run. Does nothing by default.
    virtual void stream_appended(const local_run& /*run*/, std::string_view /*stream*/, std::size_t /*index*/,
                                 const nlohmann::json& /*chunk*/) {}
    /// A lifecycle hook of a run (or the runtime's log sink, while the run logged) threw; the
    /// error, its message naming the hook, is on the run's local object already. A durable
    /// backend stores it with the run (run_record::hook_errors). Does nothing by default.
    virtual void hook_failed(const local_run& /*run*/, const error_info& /*error*/) {}

    // ---------------------------------------------------------------- scheduled tasks

    /// Claims the fire of schedule `schedule_id` at its nominal time `nominal`: true for exactly
    /// one caller across every process (and runtime) that shares what this backend stores, which
    /// then triggers the fire's run; false for every other, which skips that fire. A backend whose
    /// runs live in one process answers true, which leaves each runtime's schedules firing on their
    /// own. Throws when the claim cannot be decided (the fire is then skipped and its error kept
    /// as the schedule's last_error).
    virtual bool claim_schedule_fire(std::string_view /*schedule_id*/, time_point /*nominal*/) { return true; }

    // ---------------------------------------------------------------- waitpoint tokens
    // A token is completed once, from any thread or (with a shared database) any process; a
    // token's status is read against the host's clock, so one past its timeout_at and not
    // completed is timed_out, and completing it is refused. A backend tells its host of every
    // completion (backend_host::token_completed) — one made by another process on a shared
    // database too — so that runs waiting on the token here wake. The defaults throw state_error:
    // a backend without tokens says so instead of pretending.

    /// Creates a token, or answers with the earlier token holding its idempotency key (decided
    /// atomically: concurrent creates with one key create one token).
    virtual created_token create_token(const token_request& /*request*/) {
        throw state_error("this backend has no waitpoint tokens");
    }

    /// Completes a waiting token with `data` (completed); answers already_completed, changing
    /// nothing, for a completed one. Throws unknown_token_error for an unknown token and
    /// token_timed_out_error for one whose timeout passed.
    virtual token_completion complete_token(std::string_view /*id*/, const nlohmann::json& /*data*/) {
        throw state_error("this backend has no waitpoint tokens");
    }

    /// The token, with its status now, if the backend holds it.
    [[nodiscard]] virtual std::optional<token_record> find_token(std::string_view /*id*/) const {
        throw state_error("this backend has no waitpoint tokens");
    }

    /// The tokens matching `filter`, newest first (by creation time, then id), at most filter.limit.
    [[nodiscard]] virtual std::vector<token_record> list_tokens(const token_filter& /*filter*/) const {
        throw state_error("this backend has no waitpoint tokens");
    }

    // ---------------------------------------------------------------- memoized steps

    /// The stored result of step `key` of the run, if an earlier attempt completed it.
    [[nodiscard]] virtual std::optional<nlohmann::json> step_result(const local_run& run, std::string_view key) = 0;
    /// Stores the result of step `key` of the run (a later attempt returns it instead of running the step).
    virtual void save_step(const local_run& run, std::string_view key, const nlohmann::json& result) = 0;
};

}  // namespace taskkit
