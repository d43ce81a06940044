/// @file detail/runtime_engine.hpp
/// The engine behind taskkit::runtime: queues, slots, machine budget, workers, timers, waits.
/// Not for users; the rest of taskkit reaches it through runtime_core.
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
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <taskkit/detail/exception_info.hpp>
#include <taskkit/detail/queue_state.hpp>
#include <taskkit/detail/run_index.hpp>
#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/detail/timer_queue.hpp>

namespace taskkit::detail {

/// The thread-pool runtime behind taskkit::runtime: queues with their slots and keys, the machine
/// budget, the worker pool, timers, waits and run execution. Made by runtime_core::create and
/// reached through runtime_core. Included by runtime_core.hpp in header-only mode and by src.hpp
/// under separate compilation; nothing else includes it.
class runtime_engine final : public runtime_core {
public:
    explicit runtime_engine(runtime_options options);

    // Virtual functions are declared TASKKIT_DECL (inline when header-only), or the first would be
    // the key function, and every file that includes this header would emit the vtable and all
    // the code it reaches (config.hpp).
    TASKKIT_DECL ~runtime_engine() override;

    /// Starts the worker threads and the timer thread (unless driven by hand).
    void start();

    // ---------------------------------------------------------------- runtime_core

    TASKKIT_DECL void schedule_timer(time_point at, std::function<void()> fn, bool background = false) override;
    [[nodiscard]] TASKKIT_DECL std::size_t thread_count() const override;
    TASKKIT_DECL void prepare(const std::shared_ptr<run_state>& run, std::shared_ptr<const task_definition_base> task,
                              const trigger_options& options) override;
    TASKKIT_DECL std::shared_ptr<run_state> commit(const std::shared_ptr<run_state>& run,
                                                   const trigger_options& options) override;
    TASKKIT_DECL std::shared_ptr<run_state> submit(const std::shared_ptr<run_state>& run,
                                                   std::shared_ptr<const task_definition_base> task,
                                                   const trigger_options& options) override;
    TASKKIT_DECL std::string next_batch_id() override;
    TASKKIT_DECL bool cancel(const std::shared_ptr<run_state>& run) override;
    /// Cancels a run that has not started (queued, delayed or retrying), and only such a run: one
    /// that started meanwhile is left to end by its own outcome. Cancels no children.
    TASKKIT_DECL bool cancel_unstarted(const std::shared_ptr<run_state>& run);
    TASKKIT_DECL void retry(const std::shared_ptr<run_state>& run) override;
    TASKKIT_DECL std::shared_ptr<run_state> replay(const std::shared_ptr<run_state>& run) override;
    TASKKIT_DECL void reschedule(const std::shared_ptr<run_state>& run, const run_delay& delay) override;
    TASKKIT_DECL bool wait(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                           std::optional<std::chrono::steady_clock::time_point> deadline) override;
    TASKKIT_DECL bool drive_until(const std::function<bool()>& done,
                                  std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt,
                                  bool until_idle = false) override;
    TASKKIT_DECL void run_ready() override;
    TASKKIT_DECL std::shared_ptr<subscriber> subscribe(
        std::function<void(const status_event&)> callback,
        std::function<bool(const run_state&, run_status)> filter = {}) override;
    TASKKIT_DECL void unsubscribe(const std::shared_ptr<subscriber>& sub) override;
    TASKKIT_DECL void shutdown() override;

    // ---------------------------------------------------------------- run_services

    /// A wait inside a run, on the runtime's clock. The run gives up its slot and machine, wakes
    /// at `at` (or early when canceled or timed out), then takes them back.
    TASKKIT_DECL bool sleep_until(run_state& run, time_point at) override;

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
        explicit scheduler_lock(runtime_engine& core) : core_(core), lock_(core.mutex_) {}
        ~scheduler_lock() { core_.unlock_and_notify(lock_); }
        scheduler_lock(const scheduler_lock&) = delete;
        scheduler_lock& operator=(const scheduler_lock&) = delete;

    private:
        runtime_engine& core_;
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
    /// to `callbacks`. Returns the change to deliver, as note_change_locked does.
    std::optional<noted_change> end_locked(run_state& run, run_status status, std::optional<error_info> error,
                                           std::vector<std::function<void()>>& callbacks, time_point now);

    /// After end_locked, with the run's lock released: wakes its waiters, runs its one-shot
    /// callbacks and delivers its terminal event.
    void finish_publish(const std::shared_ptr<run_state>& run, std::vector<std::function<void()>>& callbacks,
                        std::optional<noted_change> change);

    /// Asks an executing or waiting run to stop (shutdown: its wait returns, interrupted, and it
    /// ends canceled when its function returns).
    static void interrupt(run_state& run);

    /// on_failure and on_complete for a run that ended outside an attempt (canceled while retrying).
    void run_terminal_hooks(const std::shared_ptr<run_state>& run, const error_info& error);

    /// A delayed run's delay, or a retrying run's backoff, has passed: queue it.
    void release_delayed(const std::weak_ptr<run_state>& weak, run_status expected, std::uint64_t generation);

    void on_run_timer(const run_timer& timer);

    /// max_duration passed: requests the stop of the attempt it limited, if still running.
    static void stop_overrunning(const run_timer& timer);

    void expire(const std::weak_ptr<run_state>& weak);

    // ---------------------------------------------------------------- status events

    /// Notes a status change just made; call with run.mutex held. Returns the change when this
    /// thread must deliver it (no other thread is delivering this run's events); otherwise the
    /// thread that is delivering them delivers this one after the earlier ones. Either way the
    /// events of one run reach the store and subscribers in the order the changes were made.
    static std::optional<noted_change> note_change_locked(run_state& run, run_status status, int attempt);

    /// Delivers `change` (if any) to the store and the subscribers, then every change noted
    /// meanwhile, in order. Call without the run's lock.
    void deliver(const std::shared_ptr<run_state>& run, std::optional<noted_change> change);

    void notify_subscribers(const run_state& run, run_status status, int attempt);

    // ---------------------------------------------------------------- waits

    static bool count_ended(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode);

    /// Blocks the calling thread until the runs end (or the deadline, or `stop` is requested).
    bool block_until(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                     std::optional<std::chrono::steady_clock::time_point> deadline, const std::stop_token* stop);

    bool wait_inside_run(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                         std::optional<std::chrono::steady_clock::time_point> deadline);

    // ---------------------------------------------------------------- state

    /// This engine, typed: shared_from_this() gives the runtime_core.
    std::shared_ptr<runtime_engine> shared_engine() {
        return std::static_pointer_cast<runtime_engine>(shared_from_this());
    }

    /// Runs nested on one thread by waits that execute awaited runs inline; past it a waiting
    /// run parks its thread and another worker takes the child (deep chains need threads, not stack).
    static constexpr int max_inline_depth = 24;

    log_sink log_sink_;
    std::size_t max_log_entries_;
    std::chrono::milliseconds shutdown_grace_;
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
    int target_ = 1;  // worker threads to keep doing work; 0 when driven by hand
    bool manual_ = false;
    int active_ = 0;
    int parked_ = 0;
    int wake_tokens_ = 0;
    int executing_ = 0;
    int idle_ = 0;        // workers waiting on work_cv_
    int woken_ = 0;       // of those, already signaled and not yet awake
    int wakes_owed_ = 0;  // of those, to signal when the lock is released
    bool exiting_ = false;
    std::vector<std::thread> threads_;

    std::shared_mutex subscribers_mutex_;
    std::vector<std::shared_ptr<subscriber>> subscribers_;
    std::atomic<std::size_t> subscriber_count_{0};

    std::mutex idempotency_mutex_;
    std::unordered_map<std::string, idempotency_entry> idempotency_;

    timer_queue timers_;  // last: its thread stops before the rest is destroyed
};

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/runtime_engine.ipp>
#endif
