/// @file detail/executor.hpp
/// The runtime's executor: worker threads, attempts and their hooks, stop tokens, max_duration,
/// waits inside runs, the timer, status subscriptions — over a taskkit::backend, which owns
/// queueing, claiming and leases. Not for users; the rest of taskkit reaches it through runtime_core.
#pragma once

#include <taskkit/detail/config.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <taskkit/backend/backend.hpp>
#include <taskkit/detail/attempt.hpp>
#include <taskkit/detail/in_process_host.hpp>
#include <taskkit/detail/run_state.hpp>
#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/detail/timer_queue.hpp>

namespace taskkit::detail {

/// A stand-in run that a timer ends: what ctx.wait_for waits on.
struct alarm_state final : run_state {
    [[nodiscard]] nlohmann::json payload_json() const override { return nullptr; }
    [[nodiscard]] nlohmann::json output_json_locked() const override { return nullptr; }
    bool set_output_json_locked(const nlohmann::json&) override { return true; }
    void reset_output_locked() override {}
};

/// Ends an alarm, waking whoever waits on it.
void ring(run_state& alarm);

/// This machine's cores and memory: the default machine budget.
machine host_machine();

/// The thread-pool runtime behind taskkit::runtime. Made by runtime_core::create; included by
/// <taskkit/runtime.hpp> in header-only mode (so that files which only define and trigger tasks do
/// not compile it) and by src.hpp under separate compilation.
class executor final : public runtime_core, public in_process_host {
public:
    explicit executor(runtime_options options);

    // Virtual functions are declared TASKKIT_DECL (inline when header-only), or the first would be
    // the key function, and every file that includes this header would emit the vtable and all
    // the code it reaches (config.hpp).
    TASKKIT_DECL ~executor() override;

    /// Attaches the backend and starts the worker threads and the timer thread (unless driven by hand).
    void start();

    // ---------------------------------------------------------------- runtime_core

    TASKKIT_DECL void schedule_timer(time_point at, std::function<void()> fn, bool background = false) override;
    [[nodiscard]] TASKKIT_DECL std::size_t thread_count() const override;
    [[nodiscard]] std::size_t worker_count() const noexcept override { return static_cast<std::size_t>(target_); }
    TASKKIT_DECL void prepare(const std::shared_ptr<run_state>& run, std::shared_ptr<const task_definition_base> task,
                              const trigger_options& options) override;
    TASKKIT_DECL std::shared_ptr<run_state> commit(const std::shared_ptr<run_state>& run,
                                                   const trigger_options& options) override;
    TASKKIT_DECL std::vector<std::shared_ptr<run_state>> commit_batch(
        std::span<const std::shared_ptr<run_state>> runs, std::span<const trigger_options> options) override;
    TASKKIT_DECL std::shared_ptr<run_state> submit(const std::shared_ptr<run_state>& run,
                                                   std::shared_ptr<const task_definition_base> task,
                                                   const trigger_options& options) override;
    TASKKIT_DECL std::string next_batch_id() override;
    TASKKIT_DECL bool cancel(const std::shared_ptr<run_state>& run) override;
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
    TASKKIT_DECL std::shared_ptr<subscriber> watch(
        std::function<void(const run_update&)> callback,
        std::function<bool(const run_state&, run_status)> filter = {}) override;
    TASKKIT_DECL void unsubscribe(const std::shared_ptr<subscriber>& sub) override;
    TASKKIT_DECL void shutdown() override;
    [[nodiscard]] TASKKIT_DECL taskkit::backend& runs() const noexcept override;
    [[nodiscard]] TASKKIT_DECL std::shared_ptr<run_state> local(std::string_view run_id) override;

    // ---------------------------------------------------------------- run_services

    /// A wait inside a run, on the runtime's clock. The run gives up its slot and machine, wakes
    /// at `at` (or early when canceled, timed out, or the runtime shuts down), then takes them back.
    TASKKIT_DECL bool sleep_until(run_state& run, time_point at) override;
    [[nodiscard]] TASKKIT_DECL std::optional<nlohmann::json> step_result(run_state& run, std::string_view key) override;
    TASKKIT_DECL void save_step(run_state& run, std::string_view key, const nlohmann::json& result) override;
    TASKKIT_DECL void logged(run_state& run, const log_entry& entry) override;
    TASKKIT_DECL void metadata_changed(run_state& run, const metadata_change& change) override;
    [[nodiscard]] TASKKIT_DECL std::shared_ptr<run_state> held_run_state(std::string_view run_id) override;
    [[nodiscard]] TASKKIT_DECL std::optional<std::string> parent_of(std::string_view run_id) override;
    TASKKIT_DECL void change_metadata_elsewhere(std::string_view run_id, const metadata_change& change) override;
    [[nodiscard]] TASKKIT_DECL nlohmann::json metadata_elsewhere(std::string_view run_id) override;
    TASKKIT_DECL void append_stream(run_state& run, std::string_view stream, nlohmann::json chunk) override;
    TASKKIT_DECL void hook_failed(run_state& run, const error_info& error) override;
    /// ctx.create_token and ctx.wait_for_token (detail/impl/executor_tokens.ipp).
    TASKKIT_DECL waitpoint_token create_token(run_state& run, const token_options& options, int position) override;
    TASKKIT_DECL token_wait wait_for_token(run_state& run, std::string_view token_id) override;

    // ---------------------------------------------------------------- backend_host

    [[nodiscard]] TASKKIT_DECL const std::shared_ptr<taskkit::clock>& time() const override;
    [[nodiscard]] TASKKIT_DECL taskkit::registry& tasks() const override;
    [[nodiscard]] TASKKIT_DECL const taskkit::machine& capacity() const override;
    TASKKIT_DECL void schedule(time_point at, std::function<void()> fn) override;
    TASKKIT_DECL void work_available() override;
    TASKKIT_DECL void status_changed(const run_event& event) override;
    TASKKIT_DECL bool observes_status() const noexcept override;
    TASKKIT_DECL void cancel_requested(const std::shared_ptr<local_run>& run) override;
    TASKKIT_DECL void lease_lost(const std::shared_ptr<local_run>& run, int attempt) override;
    TASKKIT_DECL void ended_between_attempts(const std::shared_ptr<local_run>& run, const error_info& error) override;
    TASKKIT_DECL void resume_granted(const std::shared_ptr<local_run>& run) override;
    [[nodiscard]] TASKKIT_DECL std::shared_ptr<local_run> held_run(std::string_view run_id) override;
    /// Rings the markers of the runs waiting here on the token (every marker for an empty id).
    TASKKIT_DECL void token_completed(std::string_view token_id) override;
    /// Another process's metadata change or stream chunk: onto the object here, then to watchers.
    TASKKIT_DECL void run_updated(const run_update& update) override;
    [[nodiscard]] std::size_t max_stream_chunks() const noexcept override { return max_stream_chunks_; }

    // ---------------------------------------------------------------- in_process_host

    [[nodiscard]] TASKKIT_DECL timer_queue& timers() override;
    TASKKIT_DECL void on_run_timers(std::function<void(const run_timer&)> handler) override;
    [[nodiscard]] const std::atomic<std::size_t>& status_observers() const noexcept override {
        return subscriber_count_;
    }

private:
    /// A waiting run's request for its slot back, which the backend grants later (resume_granted).
    struct resume_ticket {
        bool granted = false;
        std::condition_variable cv;
    };

    // ---------------------------------------------------------------- the pool

    void spawn_worker_locked();

    /// A thread is about to block inside a run: keep `target_` threads doing work.
    void block_begin_locked();

    void block_end_locked() {  // an excess thread parks at its next turn
        ++active_;
        update_chain_break_locked();
    }

    void update_chain_break_locked() {
        chain_break_.store(!jobs_.empty() || stopping_.load() || active_ > target_ || exiting_,
                           std::memory_order_relaxed);
    }

    void worker_main();
    /// Wakes one idle worker, unless every idle one is already woken.
    void wake_idle_worker();

    /// Runs posted jobs (terminal hooks of runs canceled between attempts); true when one ran.
    bool run_one_job();

    void post(std::function<void()> job);

    /// A backend call of a worker threw: the line goes to the log sink, the worker carries on.
    void report_backend_failure(std::exception_ptr failure);

    // ---------------------------------------------------------------- triggering

    /// What commit and commit_batch hand to the backend for a prepared run: gives the run its id
    /// and parent, fills `request` (its views point into the run, and into `derived_key`, which
    /// receives the key derived for a child of a run on a durable backend), and follows the run
    /// when the backend keeps no objects.
    void make_request(const std::shared_ptr<run_state>& run, const trigger_options& options, run_request& request,
                      std::string& derived_key);

    /// The run that answers the trigger of `run`, from what the backend answered for its request.
    std::shared_ptr<run_state> answer_of(const std::shared_ptr<run_state>& run, const created_run& created);

    // ---------------------------------------------------------------- executing

    run_context make_context(run_state& run, int attempt, time_point started, std::stop_token stop) const;

    attempt_env make_env(run_state& run, int in_budget) const;

    /// Runs one claimed attempt on this thread and finishes it with the backend; with
    /// `claim_next`, returns the run the backend hands on at once (the worker's next).
    std::optional<claimed_run> execute(claimed_run claimed, bool claim_next);

    void finished_executing();

    /// on_failure and on_complete for a run that ended outside an attempt (canceled while retrying).
    void run_terminal_hooks(const std::shared_ptr<run_state>& run, const error_info& error);

    /// max_duration passed: requests the stop of the attempt it limited, if still running.
    static void stop_overrunning(const run_timer& timer);

    /// Asks an executing or waiting run to stop (shutdown: its wait returns, interrupted, and it
    /// ends canceled when its function returns).
    static void interrupt(run_state& run);

    void notify_subscribers(const run_state& run, run_status status, int attempt);
    /// Passes a metadata change or a stream chunk to the realtime subscribers that follow `run`.
    void notify_watchers(const run_state& run, run_update update);

    // ---------------------------------------------------------------- waits

    static bool count_ended(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode);

    /// Blocks the calling thread until the runs end (or the deadline, or `stop` is requested).
    bool block_until(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                     std::optional<std::chrono::steady_clock::time_point> deadline, const std::stop_token* stop);

    /// Waits inside the current run for `runs`; `what` is what it waits for, kept on the run's
    /// record (run_extras::waiting_for, and the backend's through wait_spec) until it executes again.
    bool wait_inside_run(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                         std::optional<std::chrono::steady_clock::time_point> deadline, const wait_info& what,
                         std::string_view token = {});

    /// Takes the waiting run's slot back through the backend, blocking (or driving) until granted.
    void take_slot_back(const lease& held);

    // ---------------------------------------------------------------- runs of a database
    // A backend that keeps no objects of its own (backend_traits::keeps_local_runs false) hands
    // over records: the executor makes the runs' objects itself — for runs it triggers, claims, or
    // is asked for by id — and keeps each up to date from the backend's status events while
    // anyone holds it (a handle here follows a run that another process executes).

    /// The object this runtime holds for the run, if any.
    std::shared_ptr<run_state> followed(std::string_view run_id);
    /// Follows a run this runtime made (a trigger).
    void follow(const std::shared_ptr<run_state>& run);
    void unfollow(std::string_view run_id);
    /// What a run fixes when it is made — by a trigger here (prepare) or from a record (mirror_of).
    struct fixed_fields {
        std::string_view queue;  ///< a queue other than the task's, or empty
        machine machine_spec;
        int max_attempts = 1;
        std::chrono::milliseconds max_duration{0};
        int priority = 0;
        time_point created_at{};
        std::span<const std::string> tags;
        std::string_view concurrency_key;
        std::string_view idempotency_key;
    };
    /// Writes them on a run not yet published (without its lock), with its task.
    void fix(run_state& run, std::shared_ptr<const task_definition_base> task, const fixed_fields& fields);
    /// The followed object for the record's run, or a new one made from the record. Throws
    /// unknown_task_error or payload_error when this process cannot make it.
    std::shared_ptr<run_state> mirror_of(const run_record& record);
    /// The followed object for the record's run brought up to date by it, or a new one made from
    /// it; `callbacks` gets the finish callbacks of a run that ended now (see apply_record).
    std::shared_ptr<run_state> up_to_date(const run_record& record, std::vector<std::function<void()>>& callbacks);
    /// Copies the record's changing fields onto the run; a run that ended now wakes its waiters and
    /// hands back its finish callbacks, for the caller to run once it holds no lock.
    [[nodiscard]] static std::vector<std::function<void()>> apply_record(run_state& run, const run_record& record);
    static void run_callbacks(std::vector<std::function<void()>>& callbacks);
    /// The lock under which this process reads a run's record and applies it to the run's object
    /// (one of a few, by the id's hash). Held from the read to the application, it keeps reads and
    /// applications in one order, so a record read before a change never lands after it.
    std::mutex& refresh_lock(std::string_view run_id);
    /// A status event of a run the backend keeps no object for.
    void mirror_changed(const run_event& event);
    /// A claimed run's object, its attempt started on it (status, attempt, stop source).
    std::shared_ptr<run_state> start_mirrored(claimed_run& claimed);

    bool keeps_local_ = true;  // backend_->traits().keeps_local_runs
    bool durable_ = false;     // backend_->traits().durable
    std::mutex mirrors_mutex_;
    std::array<std::mutex, 16> refresh_mutexes_;  // see refresh_lock
    std::unordered_map<std::string, std::weak_ptr<run_state>> mirrors_;
    std::size_t mirrors_swept_at_ = 64;
    std::vector<std::shared_ptr<run_state>> claimed_here_;  // mirrored runs executing on this runtime's threads

    // ---------------------------------------------------------------- state

    /// Runs nested on one thread by waits that execute awaited runs inline; past it a waiting
    /// run parks its thread and another worker takes the child (deep chains need threads, not stack).
    static constexpr int max_inline_depth = 24;

    std::shared_ptr<executor> shared_executor() { return std::static_pointer_cast<executor>(shared_from_this()); }

    /// "<prefix><10 hex digits of this runtime's salt><10 hex digits of a counter>".
    [[nodiscard]] std::string make_id(std::string_view prefix, std::uint64_t n) const;

    std::shared_ptr<taskkit::backend> backend_;
    log_sink log_sink_;
    std::size_t max_log_entries_;
    std::size_t max_stream_chunks_;
    std::chrono::milliseconds shutdown_grace_;
    std::uint64_t id_salt_ = 0;
    // The counters that triggers write sit on cache lines of their own, apart from what workers
    // read on every run (false sharing made each trigger steal the workers' line).
    static constexpr std::size_t cache_line = 64;
    alignas(cache_line) std::atomic<std::uint64_t> id_counter_{0};

    mutable std::mutex mutex_;  // the pool: threads, idle and parked workers, jobs, resume tickets
    std::condition_variable work_cv_;
    std::condition_variable park_cv_;
    std::condition_variable drained_cv_;
    std::deque<std::function<void()>> jobs_;
    std::unordered_map<const local_run*, resume_ticket*> tickets_;
    alignas(cache_line) std::atomic<std::uint64_t> work_epoch_{0};  // bumped when a run becomes claimable
    alignas(cache_line) std::atomic<int> idle_{0};                  // workers waiting on work_cv_
    /// A worker going from run to run stops at the next one and comes back to the pool: jobs are
    /// waiting, the pool has a thread too many, or the runtime is shutting down (update_chain_break_locked).
    std::atomic<bool> chain_break_{false};
    int woken_ = 0;   // of those, already signaled and not yet awake
    int target_ = 1;  // worker threads to keep doing work; 0 when driven by hand
    bool manual_ = false;
    int active_ = 0;
    int parked_ = 0;
    int wake_tokens_ = 0;
    int executing_ = 0;
    bool exiting_ = false;
    std::vector<std::thread> threads_;

    std::shared_mutex subscribers_mutex_;
    std::vector<std::shared_ptr<subscriber>> subscribers_;
    std::atomic<std::size_t> subscriber_count_{0};
    std::atomic<std::size_t> watcher_count_{0};  ///< the subscribers with on_update (watch)

    std::function<void(const run_timer&)> backend_run_timers_;

    // The markers of the runs waiting here on waitpoint tokens, by token id (executor_tokens.ipp).
    std::mutex token_waiters_mutex_;
    std::unordered_multimap<std::string, std::weak_ptr<run_state>> token_waiters_;

    timer_queue timers_;  // last: its thread stops before the rest is destroyed
};

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/executor.ipp>
#include <taskkit/detail/impl/executor_tokens.ipp>
#endif
