/// @file detail/runtime_core.hpp
/// What taskkit's templates and the runtime ask of a runtime: triggering, run control, waits,
/// subscriptions. Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <taskkit/backend/backend.hpp>
#include <taskkit/clock.hpp>
#include <taskkit/detail/run_services.hpp>
#include <taskkit/detail/run_state.hpp>
#include <taskkit/detail/task_definition_base.hpp>
#include <taskkit/error.hpp>
#include <taskkit/logger.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/run_context.hpp>
#include <taskkit/run_filter.hpp>
#include <taskkit/run_update.hpp>
#include <taskkit/runtime_options.hpp>
#include <taskkit/trigger_options.hpp>

namespace taskkit::detail {

/// The run an attempt on this thread belongs to (a stack: children may run inline).
struct exec_frame {
    runtime_core* core = nullptr;
    run_state* run = nullptr;  ///< kept alive by the lease (or the hook's caller) while the frame lives
    exec_frame* previous = nullptr;
    int depth = 0;                ///< runs executing beneath this one on the thread (inline children)
    const lease* held = nullptr;  ///< the attempt's lease (null for hooks run outside an attempt)
    int children_triggered = 0;   ///< runs this attempt triggered so far (their position, for derived keys)
};
inline thread_local exec_frame* current_frame = nullptr;

/// How many of a set of runs must end before a wait returns.
enum class wait_mode { all, any };

/// What the rest of taskkit asks of a runtime: run handles, tasks, batches, waits and the
/// integrations call these. The engine that does the work (queues, slots, machine budget, workers,
/// timers) is executor, in <taskkit/detail/executor.hpp>; keeping it out of this class
/// keeps its members out of every file that triggers or awaits a run.
class runtime_core : public std::enable_shared_from_this<runtime_core>, public run_services {
public:
    /// An executor with its worker threads and timer thread started (unless driven by hand,
    /// `workers = 0`), and the registry's extensions told (registry::runtime_started).
    static std::shared_ptr<runtime_core> create(runtime_options options);

    runtime_core(const runtime_core&) = delete;
    runtime_core& operator=(const runtime_core&) = delete;
    ~runtime_core() override = default;

    // ---------------------------------------------------------------- integrations

    // Integrations keep their per-runtime state in an extension of the runtime's registry
    // (registry::extension<T>(), detail/registry_extension.hpp), which the engine tells when it has
    // started and when it begins to shut down.

    /// Schedules `fn` on the runtime's timer (its thread, or the driving thread) at `at`.
    /// A background timer does not keep a hand-driven runtime busy (see run_until_idle).
    virtual void schedule_timer(time_point at, std::function<void()> fn, bool background = false) = 0;

    // ---------------------------------------------------------------- accessors

    [[nodiscard]] const std::shared_ptr<clock>& time() const noexcept { return clock_; }
    [[nodiscard]] registry& tasks() const noexcept { return *registry_; }
    /// The backend the runs live in.
    [[nodiscard]] virtual taskkit::backend& runs() const noexcept = 0;

    /// The run's object in this process: the backend's own (memory backend), or one this runtime
    /// makes from the backend's record and keeps up to date while it is held (a database's run,
    /// wherever it executes). Null for an unknown id.
    [[nodiscard]] virtual std::shared_ptr<run_state> local(std::string_view run_id) = 0;
    [[nodiscard]] const machine& capacity() const noexcept { return capacity_; }

    /// Threads the pool has started so far (workers plus spares started for blocked waits).
    [[nodiscard]] virtual std::size_t thread_count() const = 0;
    /// The worker threads the runtime was created with (0 for a runtime driven by hand).
    [[nodiscard]] virtual std::size_t worker_count() const noexcept = 0;

    // ---------------------------------------------------------------- triggering

    /// Checks the options and fills in a new run's fixed fields; creates nothing yet (so a
    /// batch can check every item before starting any).
    virtual void prepare(const std::shared_ptr<run_state>& run, std::shared_ptr<const task_definition_base> task,
                         const trigger_options& options) = 0;

    /// Registers a prepared run and queues (or delays) it. With an idempotency key, returns the
    /// earlier run instead when one holds the key (and starts nothing).
    virtual std::shared_ptr<run_state> commit(const std::shared_ptr<run_state>& run,
                                              const trigger_options& options) = 0;

    /// commit for the prepared runs of a batch, `options[i]` being the options of `runs[i]`, with
    /// one call to the backend (backend::create_batch: one transaction on a database). Returns
    /// the run that answers each item, in order (an earlier run, or an earlier item of the
    /// batch, for a key already held). Throws options_error when the two spans differ in size.
    virtual std::vector<std::shared_ptr<run_state>> commit_batch(std::span<const std::shared_ptr<run_state>> runs,
                                                                 std::span<const trigger_options> options) = 0;

    /// prepare + commit. Returns the run that answers the trigger (an earlier one for a cached
    /// idempotency key).
    virtual std::shared_ptr<run_state> submit(const std::shared_ptr<run_state>& run,
                                              std::shared_ptr<const task_definition_base> task,
                                              const trigger_options& options) = 0;

    /// A fresh batch id.
    virtual std::string next_batch_id() = 0;

    // ---------------------------------------------------------------- run control

    /// Cancels a run and its children. False when it had already ended.
    virtual bool cancel(const std::shared_ptr<run_state>& run) = 0;

    /// Queues a failed, canceled or timed-out run again, keeping its id, with a fresh attempt budget.
    virtual void retry(const std::shared_ptr<run_state>& run) = 0;

    /// A new run of the same task with the same payload, tags and machine.
    virtual std::shared_ptr<run_state> replay(const std::shared_ptr<run_state>& run) = 0;

    /// Moves a delayed run's start to `delay` (from now, or a time point).
    virtual void reschedule(const std::shared_ptr<run_state>& run, const run_delay& delay) = 0;

    // ---------------------------------------------------------------- waiting

    /// Waits until the runs end (all, or any one), or `deadline` passes; true when satisfied.
    /// Inside a run of this runtime the waiting run gives up its queue slot and machine, runs
    /// awaited runs inline when they can start at once, and otherwise parks its thread while a
    /// spare worker takes its place; it takes its slot back before returning.
    virtual bool wait(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                      std::optional<std::chrono::steady_clock::time_point> deadline) = 0;

    /// Runs work on the calling thread until `done` holds, nothing is left to do, or `deadline`
    /// passes (for runtimes without worker threads). A virtual clock jumps to the next timer
    /// whenever nothing is runnable.
    virtual bool drive_until(const std::function<bool()>& done,
                             std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt,
                             bool until_idle = false) = 0;

    /// Runs everything that is runnable now on the calling thread, firing due timers, without
    /// moving the clock (for runtimes without worker threads).
    virtual void run_ready() = 0;

    [[nodiscard]] time_point now() const override { return clock_->now(); }

    /// A uniform random number in [0, 1) from the runtime's source (retry jitter).
    [[nodiscard]] double random01() const { return random_(); }

    // ---------------------------------------------------------------- subscriptions

    struct subscriber {
        std::function<void(const status_event&)> callback;
        /// Set for a realtime subscriber (watch): every update_kind, status changes included,
        /// comes here instead of `callback`.
        std::function<void(const run_update&)> on_update;
        std::function<bool(const run_state&, run_status)> filter;  ///< empty: every run
        std::recursive_mutex mutex;  // calls to one subscriber never overlap; unsubscribing waits for them
        bool active = true;
    };

    virtual std::shared_ptr<subscriber> subscribe(std::function<void(const status_event&)> callback,
                                                  std::function<bool(const run_state&, run_status)> filter = {}) = 0;

    /// A realtime subscriber: status changes, metadata changes and stream chunks of the runs
    /// `filter` accepts.
    virtual std::shared_ptr<subscriber> watch(std::function<void(const run_update&)> callback,
                                              std::function<bool(const run_state&, run_status)> filter = {}) = 0;

    virtual void unsubscribe(const std::shared_ptr<subscriber>& sub) = 0;

    // ---------------------------------------------------------------- shutdown

    /// Finishes executing runs, cancels the rest and joins every thread. Idempotent.
    virtual void shutdown() = 0;

    [[nodiscard]] bool stopping() const { return stopping_.load(); }

protected:
    runtime_core(std::shared_ptr<clock> time, registry& tasks, machine capacity)
        : clock_(std::move(time)), registry_(&tasks), capacity_(capacity) {}

    // Fixed once the engine is constructed (stopping_ aside).
    std::shared_ptr<clock> clock_;
    registry* registry_ = nullptr;
    machine capacity_;
    std::function<double()> random_;
    std::atomic<bool> stopping_{false};  // written under the pool's lock; read without it on the trigger path
};

/// What a trigger outside any run falls back on when its registry has no default runtime: the
/// core of runtime::default_runtime(). <taskkit/runtime.hpp> supplies it (header-only, the engine's
/// code comes with that header, so files that only define and trigger tasks do not compile it);
/// before any file of the program includes that header, a trigger has no runtime to go to.
using builtin_core_maker = std::shared_ptr<runtime_core> (*)();
inline std::atomic<builtin_core_maker> builtin_core{nullptr};

/// The built-in default runtime's core; throws state_error when the program has no runtime.
inline std::shared_ptr<runtime_core> builtin_default_core() {
    if (const auto make = builtin_core.load(std::memory_order_acquire)) return make();
    throw state_error(
        "no taskkit runtime to trigger on: this program never includes <taskkit/runtime.hpp> (or "
        "<taskkit/taskkit.hpp>); include it where the program creates its taskkit::runtime");
}

}  // namespace taskkit::detail
