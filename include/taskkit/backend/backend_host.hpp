/// @file backend/backend_host.hpp
/// What a backend may ask of the runtime that uses it.
#pragma once

#include <taskkit/detail/config.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include <taskkit/backend/run_request.hpp>
#include <taskkit/clock.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>
#include <taskkit/run_update.hpp>

namespace taskkit {

class registry;

/// A change of one run's status, as a backend reports it to its runtime (which passes it on to
/// subscribers as a status_event).
struct run_event {
    std::string_view run_id;
    std::string_view task_id;
    run_status status = run_status::queued;
    int attempt = 0;                   ///< 0 before the first attempt
    const local_run* local = nullptr;  ///< the run's object in this process, when there is one
};

/// The runtime, as its backend sees it: given once to backend::attach, valid until
/// backend::detach returns. Every function may be called from any thread, without the backend's
/// locks held (unless it says otherwise).
class backend_host {
public:
    virtual ~backend_host() = default;

    /// The runtime's clock (virtual in tests): due times, ttl and rate windows follow it.
    [[nodiscard]] virtual const std::shared_ptr<taskkit::clock>& time() const = 0;
    /// The runtime's registry: task definitions and declared queues.
    [[nodiscard]] virtual taskkit::registry& tasks() const = 0;
    /// The cpu/memory budget of this runtime's executing runs.
    [[nodiscard]] virtual const taskkit::machine& capacity() const = 0;

    /// Calls `fn` on the runtime's timer (its thread, or the thread driving a runtime without
    /// threads) once `at` has passed on the clock.
    virtual void schedule(time_point at, std::function<void()> fn) = 0;

    /// A run became claimable (or a resume was granted): wake a worker.
    virtual void work_available() = 0;
    /// Every status change of every run, in the order the changes were made for each run. May be
    /// called with no lock of the backend held only.
    virtual void status_changed(const run_event& event) = 0;
    /// Whether anything observes status changes now (a subscription; a run this runtime follows
    /// from a backend's records). While false, a backend may skip status_changed for runs whose
    /// objects it keeps (nothing would read the event); it may change at any time, and a change
    /// made while it was false need not be reported later.
    [[nodiscard]] virtual bool observes_status() const noexcept { return true; }
    /// A run's cancel was requested while it executes or waits here: request its stop token.
    virtual void cancel_requested(const std::shared_ptr<local_run>& run) = 0;
    /// This process lost its lease of attempt `attempt` of a run (it failed to renew it in time and
    /// another process took the run over): stop that attempt, whose outcome the backend refuses.
    /// Not a cancel: no on_cancel, no terminal hooks here, and a later attempt of the run is left
    /// be. Default: nothing (the attempt runs to its end, and its outcome is refused).
    virtual void lease_lost(const std::shared_ptr<local_run>& /*run*/, int /*attempt*/) {}
    /// A run of which an attempt of this cycle ran ended without an attempt (canceled while
    /// waiting to retry): run its on_failure and on_complete hooks on a worker.
    virtual void ended_between_attempts(const std::shared_ptr<local_run>& run, const error_info& error) = 0;
    /// The slot a waiting run asked back for (backend::resume returned false) is granted now.
    virtual void resume_granted(const std::shared_ptr<local_run>& run) = 0;
    /// Waitpoint token `token_id` was completed (in this process or, for a shared database, in
    /// another): wake the runs waiting on it here, which read it back from the backend. An empty
    /// id means any token may have changed (the backend missed changes): every waiting run looks.
    virtual void token_completed(std::string_view /*token_id*/) {}
    /// The most recent chunks the runtime keeps of each stream of a run
    /// (runtime_options::max_stream_chunks): a backend that stores streams keeps no more.
    [[nodiscard]] virtual std::size_t max_stream_chunks() const noexcept { return 10000; }
    /// Another process changed a run's metadata or appended to one of its streams (a shared
    /// database): the runtime updates its object for the run, if it holds or follows one, and
    /// passes the update to its realtime subscribers. `update.kind` is metadata (with
    /// `update.metadata`, the whole object) or stream (with `stream`, `index`, `chunk`).
    virtual void run_updated(const run_update& /*update*/) {}
    /// The runtime's object for a run, if it holds one (null otherwise): how a backend that names
    /// runs by id finds the object to pass to cancel_requested, ended_between_attempts or
    /// resume_granted for a run this runtime claimed or follows.
    [[nodiscard]] virtual std::shared_ptr<local_run> held_run(std::string_view run_id) = 0;
};

}  // namespace taskkit
