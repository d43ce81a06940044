/// @file detail/memory_backend.hpp
/// The memory backend: the runs of one runtime, held in its process — queues with their limits,
/// keys, caps, fair rotation and rate limits, the machine budget, delays, retries and ttl,
/// idempotency, waits, and the records the runs API reads. Not for users (they name it through
/// <taskkit/backend/memory_backend.hpp>).
#pragma once

#include <taskkit/detail/config.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <taskkit/backend/backend.hpp>
#include <taskkit/backend/memory_backend_options.hpp>
#include <taskkit/detail/brief_mutex.hpp>
#include <taskkit/detail/digest_index.hpp>
#include <taskkit/detail/in_process_host.hpp>
#include <taskkit/detail/queue_state.hpp>
#include <taskkit/detail/run_state.hpp>
#include <taskkit/detail/timer_queue.hpp>
#include <taskkit/detail/token_store.hpp>

namespace taskkit::detail {

/// The backend a runtime uses by default. Its records are the runtime's own run_state objects, so
/// a typed payload or output never becomes JSON, and a claim is a few pointer moves under one lock.
class memory_backend final : public backend {
public:
    explicit memory_backend(memory_backend_options options);
    TASKKIT_DECL ~memory_backend() override;

    [[nodiscard]] TASKKIT_DECL backend_traits traits() const noexcept override;
    TASKKIT_DECL void attach(backend_host& host) override;
    TASKKIT_DECL void shutdown() override;
    TASKKIT_DECL void detach() override;
    TASKKIT_DECL created_run create(const run_request& request) override;
    TASKKIT_DECL std::optional<claimed_run> claim() override;
    TASKKIT_DECL std::optional<claimed_run> claim(const std::shared_ptr<local_run>& run) override;
    TASKKIT_DECL std::optional<claimed_run> finish(const lease& held, const attempt_outcome& outcome,
                                                   bool claim_next) override;
    TASKKIT_DECL lease_state renew(const lease& held) override;
    TASKKIT_DECL void suspend(const lease& held, const wait_spec& what) override;
    TASKKIT_DECL bool resume(const lease& held) override;
    TASKKIT_DECL bool cancel(const run_target& target) override;
    TASKKIT_DECL void retry(const run_target& target) override;
    TASKKIT_DECL void reschedule(const run_target& target, time_point at) override;
    [[nodiscard]] TASKKIT_DECL std::shared_ptr<local_run> local(std::string_view run_id) const override;
    [[nodiscard]] TASKKIT_DECL std::optional<run_record> find(std::string_view run_id) const override;
    [[nodiscard]] TASKKIT_DECL run_page list(const run_filter& filter) const override;
    TASKKIT_DECL void logged(const local_run& run, const log_entry& entry) override;
    TASKKIT_DECL void metadata_changed(const local_run& run, const metadata_change& change,
                                       const nlohmann::json& metadata) override;
    [[nodiscard]] TASKKIT_DECL std::optional<nlohmann::json> step_result(const local_run& run,
                                                                         std::string_view key) override;
    TASKKIT_DECL void save_step(const local_run& run, std::string_view key, const nlohmann::json& result) override;
    [[nodiscard]] TASKKIT_DECL std::vector<queue_stats> queues() const override;
    TASKKIT_DECL void pause_queue(std::string_view name, bool paused) override;
    TASKKIT_DECL void set_queue_limit(std::string_view name, std::optional<int> limit) override;
    // Waitpoint tokens (detail/impl/memory_backend_tokens.ipp).
    TASKKIT_DECL created_token create_token(const token_request& request) override;
    TASKKIT_DECL token_completion complete_token(std::string_view id, const nlohmann::json& data) override;
    [[nodiscard]] TASKKIT_DECL std::optional<token_record> find_token(std::string_view id) const override;
    [[nodiscard]] TASKKIT_DECL std::vector<token_record> list_tokens(const token_filter& filter) const override;

    /// How many runs are held (every unfinished run and the most recent finished ones).
    [[nodiscard]] std::size_t size() const;

private:
    // ---------------------------------------------------------------- the scheduler lock

    /// The scheduler lock for a scope: asks the host to wake a worker after releasing it when
    /// work became claimable meanwhile, so a woken worker does not find the lock still held.
    class scheduler_lock {
    public:
        explicit scheduler_lock(memory_backend& self) : self_(self), lock_(self.mutex_) {}
        ~scheduler_lock() { release(); }
        scheduler_lock(const scheduler_lock&) = delete;
        scheduler_lock& operator=(const scheduler_lock&) = delete;
        void release();

    private:
        memory_backend& self_;
        std::unique_lock<brief_mutex> lock_;
    };

    // ---------------------------------------------------------------- records

    void hold(const std::shared_ptr<run_state>& run);
    [[nodiscard]] std::shared_ptr<run_state> held(std::string_view id) const;
    /// The run a control call names: the caller's object for it, or the one held under its id.
    [[nodiscard]] std::shared_ptr<run_state> target_run(const run_target& target) const;
    /// A run reached a terminal status: the oldest finished run past the retention is forgotten.
    void retire(const std::shared_ptr<run_state>& run);

    // ---------------------------------------------------------------- status changes and events

    /// Notes a status change just made; call with run.mutex held. Returns the change when this
    /// thread must deliver it (no other thread is delivering this run's events); otherwise the
    /// thread that is delivering them delivers this one after the earlier ones. Either way the
    /// events of one run reach the host in the order the changes were made.
    /// When nothing observes status changes (backend_host::observes_status), the change is quiet:
    /// delivering it only retires a run that ended.
    std::optional<noted_change> note_change_locked(run_state& run, run_status status, int attempt) const;

    /// Delivers `change` (if any) to the host, then every change noted meanwhile, in order. Call
    /// without the run's lock.
    void deliver(const std::shared_ptr<run_state>& run, std::optional<noted_change> change);

    /// Sets a terminal status, ended at `now`; call with run.mutex held. Callbacks to run are moved
    /// to `callbacks`. Returns the change to deliver, as note_change_locked does.
    std::optional<noted_change> end_locked(run_state& run, run_status status, std::optional<error_info> error,
                                           std::vector<std::function<void()>>& callbacks, time_point now);

    /// After end_locked, with the run's lock released: wakes its waiters, runs its one-shot
    /// callbacks and delivers its terminal event.
    void finish_publish(const std::shared_ptr<run_state>& run, std::vector<std::function<void()>>& callbacks,
                        std::optional<noted_change> change);

    // ---------------------------------------------------------------- creating runs

    struct idempotency_entry {
        std::weak_ptr<run_state> run;
        time_point expires_at;
    };

    /// Holds the run, links it to its parent, publishes its first status and queues (or delays) it.
    void commit_new(const std::shared_ptr<run_state>& run);
    /// Joins `run`'s debounce window held by `held` when `held` is still delayed: moves its start,
    /// and for trailing gives it `run`'s payload. Call with idempotency_mutex_ held.
    bool join_debounced(const std::shared_ptr<run_state>& held, run_state& run, const run_request& request);

    void arm_delay(const std::shared_ptr<run_state>& run, time_point due, std::uint64_t generation);

    // ---------------------------------------------------------------- queues and slots

    queue_state* queue_for_locked(std::string_view name, const queue_options& task_queue);
    /// The queue a control call names: one in use, or one the registry declares (created now).
    /// Throws unknown_queue_error for any other name.
    queue_state& known_queue_locked(std::string_view name);

    [[nodiscard]] machine free_locked() const noexcept;
    void take_machine_locked(const machine& m);

    /// Puts a key in its queue's rotation when it could start a run now.
    void refresh_key_locked(queue_state& q, key_state& k);
    /// Puts a queue in the ready list when one of its keys could start a run now.
    void refresh_queue_locked(queue_state& q);

    void arm_key_rate_timer_locked(queue_state& q, key_state& k);
    void arm_queue_rate_timer_locked(queue_state& q);

    /// Forgets an idle key (the empty key and keys with recent rate-limited starts are kept).
    void maybe_forget_key_locked(queue_state& q, key_state& k);

    /// The run's key state (looked up again: an idle key may have been forgotten meanwhile).
    key_state& key_of_locked(run_state& run);

    void enqueue(const std::shared_ptr<run_state>& run);
    void push_pending_locked(const std::shared_ptr<run_state>& run, key_state& k);

    /// Counts a start against the queue's and the key's rate limits.
    void record_start_locked(queue_state& q, key_state& k);

    /// Whether a run may be claimable now (a queue in the ready list, or a run holding its slot
    /// and machine): false means a claim would find nothing.
    [[nodiscard]] bool claimable_locked() const noexcept { return !direct_.empty() || !ready_.empty(); }

    /// Takes the next run that may start off its queue: it holds its queue slot and machine.
    bool next_locked(std::shared_ptr<run_state>& out);

    /// Takes `run` out of its queue to start it at once, if it can.
    bool take_locked(const std::shared_ptr<run_state>& run);

    /// Gives back a run's slot and machine, and hands them on: to waiting runs resuming first,
    /// then to runs that hold a slot and wait for a machine, then to the queue.
    void release_locked(run_state& run);

    /// Grants the resumers whose slot and machine are free now (they are told after unlocking).
    void grant_resumers_locked();

    /// Starts the attempt of a run that holds its slot: status executing, attempt counted. Nothing
    /// when the run was canceled or expired on the way (the caller gives its slot back).
    std::optional<claimed_run> start(const std::shared_ptr<run_state>& run, time_point now);

    /// next_locked then start, until a run starts or none may.
    std::optional<claimed_run> claim_next(std::shared_ptr<run_state> first, time_point now);

    /// Status executing again for a waiting run that got its slot back.
    void resumed(const std::shared_ptr<run_state>& run);

    // ---------------------------------------------------------------- timers

    void on_run_timer(const run_timer& timer);
    /// A delayed run's delay, or a retrying run's backoff, has passed: queue it.
    void release_delayed(const std::weak_ptr<run_state>& weak, run_status expected, std::uint64_t generation);
    void expire(const std::weak_ptr<run_state>& weak);

    bool cancel_run(const std::shared_ptr<run_state>& run);
    bool cancel_unstarted(const std::shared_ptr<run_state>& run);

    // ---------------------------------------------------------------- state

    memory_backend_options options_;
    backend_host* host_ = nullptr;
    std::atomic<bool> detached_{false};
    /// The host, or null once detached.
    [[nodiscard]] backend_host* host() const noexcept {
        return detached_.load(std::memory_order_acquire) ? nullptr : host_;
    }
    in_process_host* local_host_ = nullptr;
    const std::atomic<std::size_t>* status_observers_ = nullptr;  ///< local_host_->status_observers()
    timer_queue* timers_ = nullptr;
    std::shared_ptr<taskkit::clock> clock_;
    bool virtual_time_ = false;  ///< clock_ is a virtual_clock, which tests move by hand
    registry* registry_ = nullptr;
    machine capacity_;
    std::atomic<bool> stopping_{false};

    // The two locks every run takes (the scheduler's, the records') on cache lines of their own: a
    // trigger holding one does not slow a worker taking the other.
    static constexpr std::size_t cache_line = 64;
    alignas(cache_line) mutable brief_mutex mutex_;  // the scheduler lock: queues, slots, machine budget, resumers
    std::unordered_map<std::string, std::unique_ptr<queue_state>, string_hash, std::equal_to<>> queues_;
    queue_state* last_queue_ = nullptr;  // the queue queue_for_locked found last (queues are never destroyed)
    std::uint64_t queue_tokens_ = 0;
    std::deque<queue_state*> ready_;
    std::deque<std::shared_ptr<run_state>> direct_;           // slot and machine held, ready to start
    std::deque<std::shared_ptr<run_state>> machine_waiters_;  // slot held, waiting for a machine
    std::list<std::shared_ptr<run_state>> resumers_;          // waiting runs taking their slot back
    std::vector<std::shared_ptr<run_state>> granted_;         // resumers granted, told after unlocking
    machine used_{0, 0};
    bool work_owed_ = false;  // a run became claimable: the host is told when the lock is released

    std::mutex idempotency_mutex_;
    std::unordered_map<std::string, idempotency_entry> idempotency_;
    /// Debounce keys ("task\nkey", under idempotency_mutex_): the run that last took each key.
    std::unordered_map<std::string, std::weak_ptr<run_state>> debounce_;
    std::size_t debounce_swept_at_ = 64;

    alignas(cache_line) mutable brief_mutex store_mutex_;  // the records
    struct finished_entry {
        std::uint64_t digest;
        const run_state* run;
        std::uint64_t generation;
    };
    digest_index<run_state> runs_;
    std::deque<finished_entry> finished_;  // in the order the runs finished (a retried run may appear twice)

    token_store tokens_;  // waitpoint tokens, under their own lock
};

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/memory_backend.ipp>
#include <taskkit/detail/impl/memory_backend_tokens.ipp>
#endif
