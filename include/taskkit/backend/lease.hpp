/// @file backend/lease.hpp
/// A claimed run: the lease a worker holds while it executes one attempt, and how the attempt ends.
#pragma once

#include <taskkit/detail/config.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include <taskkit/backend/run_request.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>
#include <taskkit/wait_info.hpp>

namespace taskkit {

/// The right to execute one attempt of one run, from its claim until finish(). A backend shared
/// by several processes expires a lease its holder stops renewing (the process died) and gives the
/// run a new attempt; a backend in the process never expires one.
struct lease {
    std::shared_ptr<local_run> run;  ///< the run's object in this process
    int attempt = 0;                 ///< the attempt's number (1 for the first; numbers keep counting across retry())
    std::uint64_t token = 0;         ///< the backend's proof of this claim: a stale lease is refused
    std::optional<time_point> expires_at;  ///< renew before then; none: held until finished
};

/// What backend::claim hands a worker.
struct claimed_run {
    taskkit::lease lease;
    /// The attempt's number counted against max_attempts (1 after a retry(), which gives a fresh
    /// budget); on_start runs when it is 1.
    int attempt_in_budget = 1;
    /// When the attempt started, by the backend's clock (set by a backend that keeps local runs, so
    /// the runtime need not read it back from the run).
    std::optional<time_point> started_at;
    /// The run, when the backend keeps no in-process object for it (`lease.run` is null): the
    /// runtime makes one from the record and puts it in the lease before executing. Held by
    /// pointer: a claim of the memory backend, which has none, stays a few words to move.
    std::unique_ptr<run_record> record;
    /// With `record`: the run's attempt budget and per-attempt limit as it was triggered (0: the
    /// task's own).
    int max_attempts = 0;
    std::chrono::milliseconds max_duration{0};
    /// Whether other runs may be claimable now, besides this one. A worker woken for work passes
    /// the wake-up on to the next idle worker only when so: one wake-up can stand for several runs
    /// (a raised limit, a batch come due), but a lone trigger should not cost a second wake-up on
    /// its way to the worker. A backend that cannot tell cheaply leaves it true.
    bool more_claimable = true;
};

/// How an attempt ended, as the runtime tells backend::finish.
struct attempt_outcome {
    /// completed, failed, retrying, canceled or timed_out.
    run_status status = run_status::completed;
    std::optional<error_info> error;     ///< unless completed
    std::optional<time_point> retry_at;  ///< when `status` is retrying
    /// The runtime shut down while the attempt ran (its stop token was requested). A backend in
    /// the process ends the run canceled; a durable backend may queue it again for another process.
    bool interrupted = false;
    /// The output as JSON, for backends that store it (backend_traits::keeps_local_runs false);
    /// a memory backend reads the typed output from the run's object.
    nlohmann::json output;
};

/// What a waiting run waits for (backend::suspend), for the record and for a backend that
/// resumes waits after a restart.
struct wait_spec {
    std::span<const std::shared_ptr<local_run>> runs;  ///< the awaited runs, if any
    bool any = false;                                  ///< any one of them (else all)
    std::optional<time_point> until;                   ///< a wait for time (ctx.wait_for/wait_until)
    std::string_view token;                            ///< a waitpoint token's id (ctx.wait_for_token); empty: none
    /// What the run waits for, as run_record::waiting_for shows it until the run executes again
    /// (a durable backend stores it with the run and clears it on resume); null: not told.
    const wait_info* info = nullptr;
};

/// The state of a lease, as backend::renew reports it.
enum class lease_state {
    held,              ///< still this worker's
    cancel_requested,  ///< still held, but the run was canceled meanwhile: request its stop token
    lost,              ///< expired or taken over: stop, the attempt's outcome will be refused
};

}  // namespace taskkit
