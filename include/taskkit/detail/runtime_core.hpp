/// @file detail/runtime_core.hpp
/// The engine behind taskkit::runtime: queues, slots, machine budget, workers, timers, waits.
/// Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <taskkit/clock.hpp>
#include <taskkit/detail/exception_info.hpp>
#include <taskkit/detail/queue_state.hpp>
#include <taskkit/detail/run_index.hpp>
#include <taskkit/detail/run_services.hpp>
#include <taskkit/detail/run_state.hpp>
#include <taskkit/detail/task_definition_base.hpp>
#include <taskkit/detail/timer_queue.hpp>
#include <taskkit/error.hpp>
#include <taskkit/logger.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/run_context.hpp>
#include <taskkit/run_filter.hpp>
#include <taskkit/run_store.hpp>
#include <taskkit/runtime_options.hpp>
#include <taskkit/trigger_options.hpp>

namespace taskkit::detail {

/// The run an attempt on this thread belongs to (a stack: children may run inline).
struct exec_frame {
    runtime_core* core = nullptr;
    std::shared_ptr<run_state> run;
    exec_frame* previous = nullptr;
};
inline thread_local exec_frame* current_frame = nullptr;

/// A stand-in run that a timer ends: what ctx.wait_for waits on.
struct alarm_state final : run_state {
    [[nodiscard]] nlohmann::json payload_json() const override { return nullptr; }
    [[nodiscard]] nlohmann::json output_json_locked() const override { return nullptr; }
    void reset_output_locked() override {}
};

/// Ends an alarm, waking whoever waits on it.
void ring(run_state& alarm);

/// How many of a set of runs must end before a wait returns.
enum class wait_mode { all, any };

machine host_machine();

class runtime_core final : public std::enable_shared_from_this<runtime_core>, public run_services {
public:
    explicit runtime_core(runtime_options options);

    runtime_core(const runtime_core&) = delete;
    runtime_core& operator=(const runtime_core&) = delete;
    TASKKIT_DECL ~runtime_core();  // virtual (run_services): inline, or it would be the key function

    /// Starts the worker threads and the timer thread (unless driven by hand).
    void start();

    // ---------------------------------------------------------------- extensions

    /// The extension of type T attached to this runtime, created by `make` on first use.
    /// Integrations (scheduled tasks, HTTP) keep their per-runtime state here.
    template <class T, class Make>
    T& extension(Make&& make) {
        std::lock_guard lock(extensions_mutex_);
        auto& slot = extensions_[std::type_index(typeid(T))];
        if (!slot) slot = std::shared_ptr<T>(make());
        return *std::static_pointer_cast<T>(slot);
    }

    /// The extension of type T, or null when none is attached.
    template <class T>
    [[nodiscard]] std::shared_ptr<T> find_extension() const {
        std::lock_guard lock(extensions_mutex_);
        auto it = extensions_.find(std::type_index(typeid(T)));
        return it == extensions_.end() ? nullptr : std::static_pointer_cast<T>(it->second);
    }

    /// Calls `hook` when shutdown begins, before runs are canceled (extensions stop their timers).
    void on_shutdown(std::function<void()> hook);

    /// Schedules `fn` on the runtime's timer (its thread, or the driving thread) at `at`.
    /// A background timer does not keep a hand-driven runtime busy (see run_until_idle).
    void schedule_timer(time_point at, std::function<void()> fn, bool background = false);

    // ---------------------------------------------------------------- accessors

    [[nodiscard]] const std::shared_ptr<clock>& time() const noexcept { return clock_; }
    [[nodiscard]] registry& tasks() const noexcept { return *registry_; }
    [[nodiscard]] run_store& store() const noexcept { return *store_; }
    [[nodiscard]] const machine& capacity() const noexcept { return capacity_; }
    [[nodiscard]] bool manual() const noexcept { return manual_; }
    [[nodiscard]] int worker_target() const noexcept { return target_; }

    /// Threads the pool has started so far (workers plus spares started for blocked waits).
    [[nodiscard]] std::size_t thread_count() const;

    // ---------------------------------------------------------------- triggering

    /// Checks the options and fills in a new run's fixed fields; creates nothing yet (so a
    /// batch can check every item before starting any).
    void prepare(const std::shared_ptr<run_state>& run, std::shared_ptr<const task_definition_base> task,
                 const trigger_options& options);

    /// Registers a prepared run and queues (or delays) it. With an idempotency key, returns the
    /// earlier run instead when one holds the key (and starts nothing).
    std::shared_ptr<run_state> commit(const std::shared_ptr<run_state>& run, const trigger_options& options);

    /// prepare + commit. Returns the run that answers the trigger (an earlier one for a cached
    /// idempotency key).
    std::shared_ptr<run_state> submit(const std::shared_ptr<run_state>& run,
                                      std::shared_ptr<const task_definition_base> task, const trigger_options& options);

    /// A fresh batch id.
    std::string next_batch_id();

    // ---------------------------------------------------------------- run control

    /// Cancels a run and its children. False when it had already ended.
    bool cancel(const std::shared_ptr<run_state>& run);

    /// Queues a failed, canceled or timed-out run again, keeping its id, with a fresh attempt budget.
    void retry(const std::shared_ptr<run_state>& run);

    /// A new run of the same task with the same payload, tags and machine.
    std::shared_ptr<run_state> replay(const std::shared_ptr<run_state>& run);

    // ---------------------------------------------------------------- waiting

    /// Waits until the runs end (all, or any one), or `deadline` passes; true when satisfied.
    /// Inside a run of this runtime the waiting run gives up its queue slot and machine, runs
    /// awaited runs inline when they can start at once, and otherwise parks its thread while a
    /// spare worker takes its place; it takes its slot back before returning.
    bool wait(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
              std::optional<std::chrono::steady_clock::time_point> deadline);

    /// Runs work on the calling thread until `done` holds, nothing is left to do, or `deadline`
    /// passes (for runtimes without worker threads). A virtual clock jumps to the next timer
    /// whenever nothing is runnable.
    bool drive_until(const std::function<bool()>& done,
                     std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt,
                     bool until_idle = false);

    /// Runs everything that is runnable now on the calling thread, firing due timers, without
    /// moving the clock (for runtimes without worker threads).
    void run_ready();

    /// Moves a delayed run's start to `delay` (from now, or a time point).
    void reschedule(const std::shared_ptr<run_state>& run, const run_delay& delay);

    /// run_services: a wait inside a run, on the runtime's clock. The run gives up its slot
    /// and machine, wakes at `at` (or early when canceled or timed out), then takes them back.
    TASKKIT_DECL bool sleep_until(run_state& run, time_point at) override;

    [[nodiscard]] time_point now() const override { return clock_->now(); }

    /// A uniform random number in [0, 1) from the runtime's source (retry jitter).
    [[nodiscard]] double random01() const { return random_(); }

    // ---------------------------------------------------------------- subscriptions

    struct subscriber {
        std::function<void(const status_event&)> callback;
        std::function<bool(const run_state&, run_status)> filter;  ///< empty: every run
        std::recursive_mutex mutex;  // calls to one subscriber never overlap; unsubscribing waits for them
        bool active = true;
    };

    std::shared_ptr<subscriber> subscribe(std::function<void(const status_event&)> callback,
                                          std::function<bool(const run_state&, run_status)> filter = {});

    void unsubscribe(const std::shared_ptr<subscriber>& sub);

    // ---------------------------------------------------------------- shutdown

    /// Finishes executing runs, cancels the rest and joins every thread. Idempotent.
    void shutdown();

    [[nodiscard]] bool stopping() const { return stopping_.load(); }

private:
    struct work_item {
        std::function<void()> job;
        std::shared_ptr<run_state> run;
    };

    struct resume_ticket {
        run_state* run = nullptr;
        bool granted = false;
        std::condition_variable cv;
    };

    // ---------------------------------------------------------------- creating runs

    struct idempotency_entry {
        std::weak_ptr<run_state> run;
        time_point expires_at;
    };

    /// Registers the run in the store, then takes the scheduler lock once to find its queue and
    /// queue it (the id is made and the store updated outside that lock, which workers share).
    void commit_new(const std::shared_ptr<run_state>& run);

    void arm_delay(const std::shared_ptr<run_state>& run, time_point due, std::uint64_t generation);

    // ---------------------------------------------------------------- queues and slots

    queue_state* queue_for_locked(std::string_view name, const queue_options& task_queue);

    [[nodiscard]] machine free_locked() const noexcept;

    void take_machine_locked(const machine& m);

    /// Puts a key in its queue's rotation when it could start a run now.
    void refresh_key_locked(queue_state& q, key_state& k);

    /// Puts a queue in the ready list when one of its keys could start a run now.
    void refresh_queue_locked(queue_state& q);

    /// Wakes one idle worker, unless every idle worker has already been woken: a burst of
    /// triggers wakes one thread, which wakes the next as it takes work (no signal per run).
    /// The signal is sent when the lock is released (scheduler_lock, unlock_and_notify) or
    /// before this thread waits with it (notify_owed_locked).
    void wake_worker_locked();

    /// The wakes owed, less those for work that is gone: the thread that owed them took the work
    /// itself (a worker ending a run on a queue with a limit frees the slot its next run takes).
    int take_owed_wakes_locked() noexcept {
        int owed = std::exchange(wakes_owed_, 0);
        if (owed > 0 && jobs_.empty() && direct_.empty() && ready_.empty()) {
            woken_ -= owed;
            owed = 0;
        }
        return owed;
    }

    /// Signals the wakes owed, with the lock held (before waiting on a condition variable).
    void notify_owed_locked();

    /// Releases the scheduler lock, then signals the wakes owed.
    void unlock_and_notify(std::unique_lock<std::mutex>& lock);

    /// Wakes `count` idle workers.
    void signal_workers(int count);

    /// The scheduler lock for a scope: wakes the workers it owes after releasing it, so a woken
    /// worker does not find the lock still held by the thread that woke it.
    class scheduler_lock {
    public:
        explicit scheduler_lock(runtime_core& core) : core_(core), lock_(core.mutex_) {}
        ~scheduler_lock() { core_.unlock_and_notify(lock_); }
        scheduler_lock(const scheduler_lock&) = delete;
        scheduler_lock& operator=(const scheduler_lock&) = delete;

    private:
        runtime_core& core_;
        std::unique_lock<std::mutex> lock_;
    };

    void arm_key_rate_timer_locked(queue_state& q, key_state& k);

    void arm_queue_rate_timer_locked(queue_state& q);

    /// Forgets an idle key (the empty key and keys with recent rate-limited starts are kept).
    void maybe_forget_key_locked(queue_state& q, key_state& k);

    /// The run's key state (looked up again: an idle key may have been forgotten meanwhile).
    key_state& key_of_locked(run_state& run);

    void enqueue(const std::shared_ptr<run_state>& run);

    void enqueue_locked(const std::shared_ptr<run_state>& run);

    void push_pending_locked(const std::shared_ptr<run_state>& run, key_state& k);

    void post(std::function<void()> job);

    /// Counts a start against the queue's and the key's rate limits.
    void record_start_locked(queue_state& q, key_state& k);

    /// Picks the next thing to do; the run returned holds its queue slot and machine.
    bool next_work_locked(work_item& out);

    /// Takes `run` out of its queue to run it on this thread, if it can start at once.
    bool take_for_inline_locked(const std::shared_ptr<run_state>& run);

    /// Gives back a run's slot and machine, and hands them on: to waiting runs resuming first,
    /// then to runs that hold a slot and wait for a machine, then to the queue.
    void release_locked(const std::shared_ptr<run_state>& run);

    void grant_resumers_locked();

    /// Takes a slot and machine back for a run that was waiting (blocks until they are free).
    void reacquire(const std::shared_ptr<run_state>& run);

    // ---------------------------------------------------------------- the pool

    void spawn_worker_locked();

    /// A thread is about to block inside a run: keep `target_` threads doing work.
    void block_begin_locked();

    void block_end_locked() { ++active_; }  // an excess thread parks at its next turn

    void worker_main();

    /// Does one piece of work, without the scheduler lock. A run keeps its slot and machine: the
    /// caller then calls work_done_locked with the lock held.
    void perform(work_item& item);

    /// After perform: gives back the slot and machine of `run` (null after a job).
    void work_done_locked(const std::shared_ptr<run_state>& run);

    // ---------------------------------------------------------------- executing

    run_context make_context(const std::shared_ptr<run_state>& run, int attempt, time_point started,
                             std::stop_token stop) const;

    attempt_env make_env(const std::shared_ptr<run_state>& run, int in_budget) const;

    /// Runs one attempt of `run`, which holds its queue slot and machine, and gives them back.
    /// A worker (`by_worker`) gives them back itself, when it next takes the scheduler lock, after
    /// the run's outcome is published.
    void execute(const std::shared_ptr<run_state>& run, bool by_worker = false);

    void finished_executing_locked();

    void finish_attempt(const std::shared_ptr<run_state>& run, const attempt_result& outcome, int attempt);

    /// Sets a terminal status, ended at `now`; call with run->mutex held. Callbacks to run are moved
    /// to `callbacks`.
    void end_locked(run_state& run, run_status status, std::optional<error_info> error,
                    std::vector<std::function<void()>>& callbacks, time_point now);

    void finish_publish(const std::shared_ptr<run_state>& run, run_status status,
                        std::vector<std::function<void()>>& callbacks);

    /// on_failure and on_complete for a run that ended outside an attempt (canceled while retrying).
    void run_terminal_hooks(const std::shared_ptr<run_state>& run, const error_info& error);

    /// A delayed run's delay, or a retrying run's backoff, has passed: queue it.
    void release_delayed(const std::weak_ptr<run_state>& weak, run_status expected, std::uint64_t generation);

    void on_run_timer(const run_timer& timer);

    /// max_duration passed: requests the stop of the attempt it limited, if still running.
    static void stop_overrunning(const run_timer& timer);

    void expire(const std::weak_ptr<run_state>& weak);

    void publish(const std::shared_ptr<run_state>& run, run_status status, int attempt);

    // ---------------------------------------------------------------- waits

    static bool count_ended(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode);

    /// Blocks the calling thread until the runs end (or the deadline, or `stop` is requested).
    bool block_until(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                     std::optional<std::chrono::steady_clock::time_point> deadline, const std::stop_token* stop);

    bool wait_inside_run(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                         std::optional<std::chrono::steady_clock::time_point> deadline);

    // ---------------------------------------------------------------- state

    std::shared_ptr<clock> clock_;
    registry* registry_;
    std::shared_ptr<run_store> store_;
    log_sink log_sink_;
    std::size_t max_log_entries_;
    machine capacity_;
    std::function<double()> random_;
    std::uint64_t id_salt_ = 0;
    std::atomic<std::uint64_t> id_counter_{0};

    /// "<prefix><10 hex digits of this runtime's salt><10 hex digits of a counter>".
    [[nodiscard]] std::string make_id(std::string_view prefix, std::uint64_t n) const;

    mutable std::mutex mutex_;  // the scheduler lock: queues, slots, machine, pool
    std::condition_variable work_cv_;
    std::condition_variable park_cv_;
    std::condition_variable drained_cv_;
    std::unordered_map<std::string, std::unique_ptr<queue_state>, string_hash, std::equal_to<>> queues_;
    std::uint64_t queue_tokens_ = 0;
    std::deque<queue_state*> ready_;
    std::deque<std::function<void()>> jobs_;
    std::deque<std::shared_ptr<run_state>> direct_;           // slot and machine held, ready to execute
    std::deque<std::shared_ptr<run_state>> machine_waiters_;  // slot held, waiting for a machine
    std::list<resume_ticket*> resumers_;                      // waiting runs taking their slot back
    machine used_{0, 0};
    int target_ = 1;
    int active_ = 0;
    int parked_ = 0;
    int wake_tokens_ = 0;
    int executing_ = 0;
    int idle_ = 0;        // workers waiting on work_cv_
    int woken_ = 0;       // of those, already signaled and not yet awake
    int wakes_owed_ = 0;  // of those, to signal when the lock is released
    bool manual_ = false;
    std::atomic<bool> stopping_{false};  // written under mutex_; read without it on the trigger path
    bool exiting_ = false;
    std::vector<std::thread> threads_;

    std::shared_mutex subscribers_mutex_;
    std::vector<std::shared_ptr<subscriber>> subscribers_;
    std::atomic<std::size_t> subscriber_count_{0};

    std::mutex idempotency_mutex_;
    std::unordered_map<std::string, idempotency_entry> idempotency_;

    mutable std::mutex extensions_mutex_;
    std::unordered_map<std::type_index, std::shared_ptr<void>> extensions_;
    std::vector<std::function<void()>> shutdown_hooks_;

    timer_queue timers_;  // last: its thread stops before the rest is destroyed
};

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/runtime_core.ipp>
#endif
