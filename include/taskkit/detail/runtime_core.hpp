/// @file detail/runtime_core.hpp
/// The engine behind taskkit::runtime: queues, slots, machine budget, workers, timers, waits.
/// Not for users.
#pragma once

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
#include <random>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

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
inline void ring(run_state& alarm) {
    std::vector<std::function<void()>> callbacks;
    {
        std::lock_guard lock(alarm.mutex);
        alarm.status = run_status::completed;
        alarm.ended.store(true, std::memory_order_release);
        if (auto* extras = alarm.extras_if_any()) callbacks.swap(extras->finish_callbacks);
    }
    alarm.ended.notify_all();
    for (auto& callback : callbacks) callback();
}

/// How many of a set of runs must end before a wait returns.
enum class wait_mode { all, any };

inline machine host_machine() {
    machine m;
    const unsigned cores = std::thread::hardware_concurrency();
    m.cpu = cores == 0 ? 1.0 : static_cast<double>(cores);
    m.memory = 8.0;
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGE_SIZE)
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGE_SIZE);
    if (pages > 0 && page_size > 0) m.memory = static_cast<double>(pages) * static_cast<double>(page_size) / 1e9;
#endif
    return m;
}

class runtime_core final : public std::enable_shared_from_this<runtime_core>, public run_services {
public:
    explicit runtime_core(runtime_options options)
        : clock_(options.clock ? std::move(options.clock) : std::make_shared<real_clock>()),
          registry_(options.registry ? options.registry : &registry::global()),
          store_(options.store ? std::move(options.store) : std::make_shared<memory_run_store>()),
          log_sink_(options.log_sink ? std::move(options.log_sink) : stderr_log_sink()),
          max_log_entries_(options.max_log_entries),
          capacity_(options.capacity.value_or(host_machine())),
          timers_(clock_) {
        const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
        target_ = static_cast<int>(options.workers.value_or(hw));
        manual_ = target_ == 0;
        if (!(capacity_.cpu > 0) || !(capacity_.memory > 0))
            throw options_error("runtime capacity needs cpu and memory greater than 0");
        if (options.random) {
            random_ = std::move(options.random);
        } else {
            auto engine = std::make_shared<std::pair<std::mutex, std::mt19937_64>>();
            engine->second.seed(std::random_device{}());
            random_ = [engine] {
                std::lock_guard lock(engine->first);
                return std::uniform_real_distribution<double>(0.0, 1.0)(engine->second);
            };
        }
        std::random_device seed;
        id_salt_ = (static_cast<std::uint64_t>(seed()) << 32 | seed()) & 0xffffffffffULL;
        // Run timers fire only while this runtime lives: the destructor stops the timer queue first.
        timers_.set_run_timer_handler([this](const run_timer& timer) { on_run_timer(timer); });
    }

    runtime_core(const runtime_core&) = delete;
    runtime_core& operator=(const runtime_core&) = delete;
    ~runtime_core() {
        shutdown();
        std::lock_guard lock(extensions_mutex_);
        extensions_.clear();  // after shutdown, so references to extensions stay valid until then
    }

    /// Starts the worker threads and the timer thread (unless driven by hand).
    void start() {
        if (!manual_) {
            timers_.start_thread();
            std::lock_guard lock(mutex_);
            for (int i = 0; i < target_; ++i) spawn_worker_locked();
        }
        for (auto& hook : registry_->runtime_hooks()) hook(*this);
    }

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
    void on_shutdown(std::function<void()> hook) {
        std::lock_guard lock(extensions_mutex_);
        shutdown_hooks_.push_back(std::move(hook));
    }

    /// Schedules `fn` on the runtime's timer (its thread, or the driving thread) at `at`.
    /// A background timer does not keep a hand-driven runtime busy (see run_until_idle).
    void schedule_timer(time_point at, std::function<void()> fn, bool background = false) {
        timers_.schedule(at, std::move(fn), background);
    }

    // ---------------------------------------------------------------- accessors

    [[nodiscard]] const std::shared_ptr<clock>& time() const noexcept { return clock_; }
    [[nodiscard]] registry& tasks() const noexcept { return *registry_; }
    [[nodiscard]] run_store& store() const noexcept { return *store_; }
    [[nodiscard]] const machine& capacity() const noexcept { return capacity_; }
    [[nodiscard]] bool manual() const noexcept { return manual_; }
    [[nodiscard]] int worker_target() const noexcept { return target_; }

    /// Threads the pool has started so far (workers plus spares started for blocked waits).
    [[nodiscard]] std::size_t thread_count() const {
        std::lock_guard lock(mutex_);
        return threads_.size();
    }

    // ---------------------------------------------------------------- triggering

    /// Checks the options and fills in a new run's fixed fields; creates nothing yet (so a
    /// batch can check every item before starting any).
    void prepare(const std::shared_ptr<run_state>& run, std::shared_ptr<const task_definition_base> task,
                 const trigger_options& options) {
        options.validate();
        run->task = std::move(task);
        const auto& def = *run->task;
        run->task_id = def.id;
        run->runtime = weak_from_this();
        run->machine_spec = options.machine.value_or(def.machine_spec);
        if (!run->machine_spec.fits_in(capacity_))
            throw machine_error(fmt::format(
                "task '{}' needs a machine of {} cpu / {} GB, more than the runtime's capacity of {} cpu / {} GB; "
                "give the task a smaller machine or the runtime a larger capacity",
                def.id, run->machine_spec.cpu, run->machine_spec.memory, capacity_.cpu, capacity_.memory));
        run->max_attempts = options.max_attempts.value_or(def.retry.max_attempts);
        run->max_duration = options.max_duration ? options.max_duration : def.max_duration;
        // The run is not published yet: its extras are written without the lock.
        if (!options.tags.empty()) run->extras().tags = options.tags;
        if (options.metadata.is_object() && !options.metadata.empty()) run->extras().metadata = options.metadata;
        if (options.queue.empty()) {
            run->queue_name = def.queue.name;
        } else {
            if (!registry_->queue(options.queue))
                throw options_error("trigger option queue '" + options.queue +
                                    "' names no declared queue: declare it with taskkit::queue or a task's .queue");
            auto& extras = run->extras();
            extras.queue_override = options.queue;
            run->queue_name = extras.queue_override;
        }
        if (!options.concurrency_key.empty()) run->extras().concurrency_key = options.concurrency_key;
        run->priority = options.priority;
        if (!options.idempotency_key.empty()) run->extras().idempotency_key = options.idempotency_key;
        const auto now = clock_->now();
        run->created_at = now;
        run->rank = now - std::chrono::seconds(options.priority);
        if (options.ttl) run->extras().expires_at = now + *options.ttl;
        const auto due = options.delay.due(now);
        if (due > now) {
            run->status = run_status::delayed;
            run->run_at = due;
        } else {
            run->status = run_status::queued;
        }
    }

    /// Registers a prepared run and queues (or delays) it. With an idempotency key, returns the
    /// earlier run instead when one holds the key (and starts nothing).
    std::shared_ptr<run_state> commit(const std::shared_ptr<run_state>& run, const trigger_options& options) {
        if (run->idempotency_key().empty()) {
            commit_new(run);
            return run;
        }
        const std::string key = std::string(run->task_id) + '\n' + std::string(run->idempotency_key());
        std::lock_guard lock(idempotency_mutex_);
        if (auto it = idempotency_.find(key); it != idempotency_.end()) {
            auto earlier = it->second.run.lock();
            const bool live = earlier && clock_->now() < it->second.expires_at;
            if (live) {
                const auto status = earlier->current_status();
                const bool released = status == run_status::failed || status == run_status::canceled ||
                                      status == run_status::timed_out || status == run_status::expired ||
                                      status == run_status::crashed;
                if (!released) return earlier;
            }
            idempotency_.erase(it);
        }
        commit_new(run);
        idempotency_.emplace(key, idempotency_entry{run, run->created_at + options.idempotency_key_ttl.value_or(
                                                                               std::chrono::hours(24 * 30))});
        return run;
    }

    /// prepare + commit. Returns the run that answers the trigger (an earlier one for a cached
    /// idempotency key).
    std::shared_ptr<run_state> submit(const std::shared_ptr<run_state>& run,
                                      std::shared_ptr<const task_definition_base> task,
                                      const trigger_options& options) {
        prepare(run, std::move(task), options);
        return commit(run, options);
    }

    /// A fresh batch id.
    std::string next_batch_id() { return make_id("batch_", id_counter_.fetch_add(1, std::memory_order_relaxed) + 1); }

    // ---------------------------------------------------------------- run control

    /// Cancels a run and its children. False when it had already ended.
    bool cancel(const std::shared_ptr<run_state>& run) {
        std::vector<std::shared_ptr<run_state>> children;
        std::vector<std::function<void()>> callbacks;
        std::stop_source stop;
        bool request_stop = false;
        bool ended_now = false;
        bool terminal_hooks = false;
        {
            std::lock_guard lock(run->mutex);
            if (is_terminal(run->status)) return false;
            if (const auto* extras = run->extras_if_any())
                for (const auto& weak : extras->children)
                    if (auto child = weak.lock()) children.push_back(std::move(child));
            if (run->status == run_status::executing || run->status == run_status::waiting) {
                if (run->cancel_requested) return true;
                run->cancel_requested = true;
                stop = run->stop;
                request_stop = true;
            } else {
                // Hooks run when an attempt of this cycle ran (waiting to retry, or queued again after the delay).
                terminal_hooks = run->attempts_started > run->budget_start;
                end_locked(*run, run_status::canceled, make_error_info<canceled_error>(), callbacks);
                ended_now = true;
            }
        }
        if (request_stop) stop.request_stop();
        if (ended_now) finish_publish(run, run_status::canceled, callbacks);
        for (auto& child : children) cancel(child);
        if (terminal_hooks) {
            post(
                [self = shared_from_this(), run] { self->run_terminal_hooks(run, make_error_info<canceled_error>()); });
        }
        return true;
    }

    /// Queues a failed, canceled or timed-out run again, keeping its id, with a fresh attempt budget.
    void retry(const std::shared_ptr<run_state>& run) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) throw runtime_stopped_error();
        }
        {
            std::lock_guard lock(run->mutex);
            if (run->status != run_status::failed && run->status != run_status::canceled &&
                run->status != run_status::timed_out)
                throw state_error(fmt::format("run {} is {}: only failed, canceled or timed-out runs can be retried",
                                              run->id, to_string(run->status)));
            run->budget_start = run->attempts_started;
            run->status = run_status::queued;
            run->finished_at.reset();
            if (auto* extras = run->extras_if_any()) extras->error.reset();
            run->reset_output_locked();
            run->cancel_requested = false;
            run->timed_out = false;
            run->stop = std::stop_source(std::nostopstate);
            ++run->generation;
            run->ended.store(false);
        }
        publish(run, run_status::queued, 0);
        enqueue(run);
    }

    /// A new run of the same task with the same payload, tags and machine.
    std::shared_ptr<run_state> replay(const std::shared_ptr<run_state>& run) {
        auto copy = run->task->clone_run(*run);
        trigger_options options;
        const auto tags = run->tags();
        options.tags.assign(tags.begin(), tags.end());
        options.machine = run->machine_spec;
        options.max_attempts = run->max_attempts;
        options.max_duration = run->max_duration;
        submit(copy, run->task, options);
        return copy;
    }

    // ---------------------------------------------------------------- waiting

    /// Waits until the runs end (all, or any one), or `deadline` passes; true when satisfied.
    /// Inside a run of this runtime the waiting run gives up its queue slot and machine, runs
    /// awaited runs inline when they can start at once, and otherwise parks its thread while a
    /// spare worker takes its place; it takes its slot back before returning.
    bool wait(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
              std::optional<std::chrono::steady_clock::time_point> deadline) {
        auto satisfied = [&] { return count_ended(runs, mode); };
        if (satisfied()) return true;
        if (current_frame && current_frame->core == this) return wait_inside_run(runs, mode, deadline);
        if (manual_) return drive_until(satisfied, deadline);
        return block_until(runs, mode, deadline, nullptr);
    }

    /// Runs work on the calling thread until `done` holds, nothing is left to do, or `deadline`
    /// passes (for runtimes without worker threads). A virtual clock jumps to the next timer
    /// whenever nothing is runnable.
    bool drive_until(const std::function<bool()>& done,
                     std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt,
                     bool until_idle = false) {
        for (;;) {
            if (done()) return true;
            if (deadline && std::chrono::steady_clock::now() >= *deadline) return false;
            timers_.fire_due();
            work_item item;
            bool got = false;
            {
                std::lock_guard lock(mutex_);
                got = next_work_locked(item);
            }
            if (got) {
                const bool was_run = perform(item);
                std::lock_guard lock(mutex_);
                work_done_locked(was_run);
                continue;
            }
            if (done()) return true;
            const auto next = timers_.next_deadline();
            if (!next) return done();                                    // nothing is left that could make progress
            if (until_idle && timers_.foreground() == 0) return done();  // only recurring timers are left
            if (auto* virtual_time = dynamic_cast<virtual_clock*>(clock_.get())) {
                virtual_time->set(*next);
            } else {
                auto pause = *next - clock_->now();
                if (deadline) pause = std::min<clock::duration>(pause, *deadline - std::chrono::steady_clock::now());
                if (pause > clock::duration::zero()) std::this_thread::sleep_for(pause);
            }
        }
    }

    /// Runs everything that is runnable now on the calling thread, firing due timers, without
    /// moving the clock (for runtimes without worker threads).
    void run_ready() {
        for (;;) {
            timers_.fire_due();
            work_item item;
            bool got = false;
            {
                std::lock_guard lock(mutex_);
                got = next_work_locked(item);
            }
            if (!got) return;
            const bool was_run = perform(item);
            std::lock_guard lock(mutex_);
            work_done_locked(was_run);
        }
    }

    /// Moves a delayed run's start to `delay` (from now, or a time point).
    void reschedule(const std::shared_ptr<run_state>& run, const run_delay& delay) {
        if (delay.negative()) throw options_error("reschedule: the delay must not be negative");
        const auto due = delay.due(clock_->now());
        std::uint64_t generation = 0;
        {
            std::lock_guard lock(run->mutex);
            if (run->status != run_status::delayed)
                throw state_error(
                    fmt::format("run {} is {}: only delayed runs can be rescheduled", run->id, to_string(run->status)));
            run->run_at = due;
            generation = ++run->generation;
        }
        publish(run, run_status::delayed, 0);
        arm_delay(run, due, generation);
    }

    /// run_services: a wait inside a run, on the runtime's clock. The run gives up its slot
    /// and machine, wakes at `at` (or early when canceled or timed out), then takes them back.
    bool sleep_until(run_state& run, time_point at) override {
        if (!current_frame || current_frame->run.get() != &run || current_frame->core != this)
            throw state_error("ctx.wait_for / ctx.wait_until must be called from the run's own thread");
        if (clock_->now() >= at) return !run.stop.stop_requested();
        // The wait is a wait on a marker that the timer ends: the same path as waiting on a child.
        auto marker = std::make_shared<alarm_state>();
        timers_.schedule(at, [weak = std::weak_ptr<run_state>(marker)] {
            if (auto m = weak.lock()) ring(*m);
        });
        wait_inside_run({marker}, wait_mode::all, std::nullopt);
        return marker->ended.load(std::memory_order_acquire) && !run.stop.stop_requested();
    }

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
                                          std::function<bool(const run_state&, run_status)> filter = {}) {
        auto sub = std::make_shared<subscriber>();
        sub->callback = std::move(callback);
        sub->filter = std::move(filter);
        std::unique_lock lock(subscribers_mutex_);
        subscribers_.push_back(sub);
        subscriber_count_.store(subscribers_.size(), std::memory_order_release);
        return sub;
    }

    void unsubscribe(const std::shared_ptr<subscriber>& sub) {
        {
            std::lock_guard calling(sub->mutex);
            sub->active = false;
        }
        std::unique_lock lock(subscribers_mutex_);
        std::erase(subscribers_, sub);
        subscriber_count_.store(subscribers_.size(), std::memory_order_release);
    }

    // ---------------------------------------------------------------- shutdown

    /// Finishes executing runs, cancels the rest and joins every thread. Idempotent.
    void shutdown() {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            stopping_ = true;
        }
        std::vector<std::function<void()>> hooks;
        {
            std::lock_guard lock(extensions_mutex_);
            hooks.swap(shutdown_hooks_);
        }
        for (auto& hook : hooks) hook();
        store_->for_each([this](const std::shared_ptr<run_state>& run) {
            const auto status = run->current_status();
            if (status == run_status::queued || status == run_status::delayed || status == run_status::retrying)
                cancel(run);
        });
        if (manual_) {
            drive_until([this] {
                std::lock_guard lock(mutex_);
                return jobs_.empty() && executing_ == 0;
            });
        } else {
            std::unique_lock lock(mutex_);
            drained_cv_.wait(lock, [this] { return executing_ == 0 && jobs_.empty(); });
        }
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(mutex_);
            exiting_ = true;
            threads.swap(threads_);
        }
        work_cv_.notify_all();
        park_cv_.notify_all();
        for (auto& t : threads) t.join();
        timers_.stop();
    }

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
    void commit_new(const std::shared_ptr<run_state>& run) {
        if (stopping_.load()) throw runtime_stopped_error("the runtime is shutting down: no new runs are accepted");
        exec_frame* parent = current_frame && current_frame->core == this ? current_frame : nullptr;
        if (parent) run->extras().parent_id = parent->run->id;  // not published yet: no lock
        run->id = make_id("run_", id_counter_.fetch_add(1, std::memory_order_relaxed) + 1);
        if (parent) {
            std::lock_guard lock(parent->run->mutex);
            auto& family = parent->run->extras();
            family.children.push_back(run);
            family.child_ids.push_back(run->id);
        }
        store_->add(run);
        publish(run, run->status, 0);
        if (const auto expires_at = run->expires_at()) {
            timers_.schedule(*expires_at, run_timer{.run = run, .what = run_timer::kind::ttl_over});
        }
        const bool delayed = run->status == run_status::delayed;
        bool stopped = false;
        {
            std::lock_guard lock(mutex_);
            stopped = stopping_.load();
            if (!stopped) {
                run->queue = queue_for_locked(run->queue_name, run->task->queue);
                run->key = &run->queue->key(run->concurrency_key());
                if (!delayed) push_pending_locked(run, *run->key);
            }
        }
        if (stopped) {
            cancel(run);  // shutdown began after the check above: the run is canceled like every queued run
            return;
        }
        if (delayed) arm_delay(run, *run->run_at, 0);
    }

    void arm_delay(const std::shared_ptr<run_state>& run, time_point due, std::uint64_t generation) {
        timers_.schedule(due, run_timer{.run = run, .generation = generation, .what = run_timer::kind::delay_over});
    }

    // ---------------------------------------------------------------- queues and slots

    queue_state* queue_for_locked(std::string_view name, const queue_options& task_queue) {
        auto it = queues_.find(name);
        if (it != queues_.end()) return it->second.get();
        queue_options options = registry_->queue(name).value_or(task_queue);
        options.name = std::string(name);
        auto q = std::make_unique<queue_state>(options);
        auto* raw = q.get();
        queues_.emplace(name, std::move(q));
        return raw;
    }

    [[nodiscard]] machine free_locked() const noexcept {
        return machine{capacity_.cpu - used_.cpu, capacity_.memory - used_.memory};
    }

    void take_machine_locked(const machine& m) {
        used_.cpu += m.cpu;
        used_.memory += m.memory;
    }

    /// Puts a key in its queue's rotation when it could start a run now.
    void refresh_key_locked(queue_state& q, key_state& k) {
        if (k.in_rotation || k.pending.empty() || !q.key_has_slot(k) || k.resumers_waiting > 0) return;
        if (k.rate && !k.rate->allows(clock_->now())) {
            arm_key_rate_timer_locked(q, k);
            return;
        }
        k.in_rotation = true;
        q.rotation.push_back(&k);
        refresh_queue_locked(q);
    }

    /// Puts a queue in the ready list when one of its keys could start a run now.
    void refresh_queue_locked(queue_state& q) {
        if (q.in_ready || q.rotation.empty() || !q.total_has_slot()) return;
        if (q.rate && !q.rate->allows(clock_->now())) {
            arm_queue_rate_timer_locked(q);
            return;
        }
        q.in_ready = true;
        ready_.push_back(&q);
        wake_worker_locked();
    }

    /// Wakes one idle worker, unless every idle worker has already been woken: a burst of
    /// triggers wakes one thread, which wakes the next as it takes work (no signal per run).
    void wake_worker_locked() {
        if (idle_ > woken_) {
            ++woken_;
            work_cv_.notify_one();
        }
    }

    void arm_key_rate_timer_locked(queue_state& q, key_state& k) {
        if (k.rate_timer_armed) return;
        k.rate_timer_armed = true;
        timers_.schedule(k.rate->next_allowed(), [this_ = weak_from_this(), qp = &q, kp = &k] {
            auto core = this_.lock();
            if (!core) return;
            std::lock_guard lock(core->mutex_);
            kp->rate_timer_armed = false;
            core->refresh_key_locked(*qp, *kp);
        });
    }

    void arm_queue_rate_timer_locked(queue_state& q) {
        if (q.rate_timer_armed) return;
        q.rate_timer_armed = true;
        timers_.schedule(q.rate->next_allowed(), [this_ = weak_from_this(), qp = &q] {
            auto core = this_.lock();
            if (!core) return;
            std::lock_guard lock(core->mutex_);
            qp->rate_timer_armed = false;
            core->refresh_queue_locked(*qp);
        });
    }

    /// Forgets an idle key (the empty key and keys with recent rate-limited starts are kept).
    void maybe_forget_key_locked(queue_state& q, key_state& k) {
        if (k.key.empty() || !k.pending.empty() || k.running > 0 || k.resumers_waiting > 0 || k.in_rotation ||
            k.rate_timer_armed)
            return;
        if (k.rate && !k.rate->quiet(clock_->now())) return;  // its recent starts still count
        q.keys.erase(k.key);
    }

    /// The run's key state (looked up again: an idle key may have been forgotten meanwhile).
    key_state& key_of_locked(run_state& run) {
        run.key = &run.queue->key(run.concurrency_key());
        return *run.key;
    }

    void enqueue(const std::shared_ptr<run_state>& run) {
        std::lock_guard lock(mutex_);
        enqueue_locked(run);
    }

    void enqueue_locked(const std::shared_ptr<run_state>& run) { push_pending_locked(run, key_of_locked(*run)); }

    void push_pending_locked(const std::shared_ptr<run_state>& run, key_state& k) {
        run->queue_token = ++queue_tokens_;
        k.pending.push(pending_entry{run->rank, run->queue_token, run});
        refresh_key_locked(*run->queue, k);
    }

    void post(std::function<void()> job) {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
        wake_worker_locked();
    }

    /// Counts a start against the queue's and the key's rate limits.
    void record_start_locked(queue_state& q, key_state& k) {
        if (!q.rate && !k.rate) return;
        const auto now = clock_->now();
        if (q.rate) q.rate->record(now);
        if (k.rate) k.rate->record(now);
    }

    /// Picks the next thing to do; the run returned holds its queue slot and machine.
    bool next_work_locked(work_item& out) {
        if (!jobs_.empty()) {
            out.job = std::move(jobs_.front());
            jobs_.pop_front();
            return true;
        }
        if (!direct_.empty()) {
            out.run = std::move(direct_.front());
            direct_.pop_front();
            ++executing_;
            return true;
        }
        while (!ready_.empty()) {
            queue_state& q = *ready_.front();
            ready_.pop_front();
            q.in_ready = false;
            if (!q.total_has_slot()) continue;  // back in the ready list when a slot frees
            if (q.rate && !q.rate->allows(clock_->now())) {
                arm_queue_rate_timer_locked(q);
                continue;
            }
            while (!q.rotation.empty()) {
                key_state& k = *q.rotation.front();
                q.rotation.pop_front();
                k.in_rotation = false;
                while (!k.pending.empty() && (k.pending.top().token != k.pending.top().run->queue_token ||
                                              k.pending.top().run->ended.load(std::memory_order_acquire)))
                    k.pending.pop();  // handed off, canceled or expired while queued
                if (k.pending.empty() || !q.key_has_slot(k) || k.resumers_waiting > 0) {
                    maybe_forget_key_locked(q, k);
                    continue;
                }
                if (k.rate && !k.rate->allows(clock_->now())) {
                    arm_key_rate_timer_locked(q, k);
                    continue;
                }
                auto run = k.pending.top().run;
                k.pending.pop();
                run->queue_token = 0;
                ++k.running;
                ++q.running;
                record_start_locked(q, k);
                refresh_key_locked(q, k);  // fair rotation: the key goes to the back of the line
                refresh_queue_locked(q);   // and the queue to the back of the ready list
                if (!run->machine_spec.fits_in(free_locked())) {
                    machine_waiters_.push_back(std::move(run));  // keeps its slot until the machine fits
                    break;
                }
                take_machine_locked(run->machine_spec);
                ++executing_;
                out.run = std::move(run);
                return true;
            }
            refresh_queue_locked(q);
        }
        return false;
    }

    /// Takes `run` out of its queue to run it on this thread, if it can start at once.
    bool take_for_inline_locked(const std::shared_ptr<run_state>& run) {
        queue_state* q = run->queue;
        key_state* k = run->key;
        if (!q || !k || run->queue_token == 0 || !q->key_has_slot(*k) || !q->total_has_slot() ||
            k->resumers_waiting > 0 || !run->machine_spec.fits_in(free_locked()))
            return false;
        if ((q->rate || k->rate) &&
            ((q->rate && !q->rate->allows(clock_->now())) || (k->rate && !k->rate->allows(clock_->now()))))
            return false;
        run->queue_token = 0;  // its heap entry is now stale
        ++k->running;
        ++q->running;
        record_start_locked(*q, *k);
        take_machine_locked(run->machine_spec);
        ++executing_;
        return true;
    }

    /// Gives back a run's slot and machine, and hands them on: to waiting runs resuming first,
    /// then to runs that hold a slot and wait for a machine, then to the queue.
    void release_locked(const std::shared_ptr<run_state>& run) {
        queue_state& q = *run->queue;
        key_state& k = *run->key;
        --k.running;
        --q.running;
        used_.cpu -= run->machine_spec.cpu;
        used_.memory -= run->machine_spec.memory;
        grant_resumers_locked();
        while (!machine_waiters_.empty() && machine_waiters_.front()->machine_spec.fits_in(free_locked())) {
            take_machine_locked(machine_waiters_.front()->machine_spec);
            direct_.push_back(std::move(machine_waiters_.front()));
            machine_waiters_.pop_front();
            wake_worker_locked();
        }
        refresh_key_locked(q, k);
        refresh_queue_locked(q);
        maybe_forget_key_locked(q, k);
    }

    void grant_resumers_locked() {
        for (auto it = resumers_.begin(); it != resumers_.end();) {
            resume_ticket* t = *it;
            queue_state& q = *t->run->queue;
            key_state& k = *t->run->key;
            if (q.can_resume(k) && t->run->machine_spec.fits_in(free_locked())) {
                ++k.running;
                ++q.running;
                take_machine_locked(t->run->machine_spec);
                --k.resumers_waiting;
                t->granted = true;
                t->cv.notify_one();
                it = resumers_.erase(it);
                refresh_key_locked(q, k);
            } else {
                ++it;
            }
        }
    }

    /// Takes a slot and machine back for a run that was waiting (blocks until they are free).
    void reacquire(const std::shared_ptr<run_state>& run) {
        std::unique_lock lock(mutex_);
        queue_state& q = *run->queue;
        key_state& k = key_of_locked(*run);
        if (q.can_resume(k) && k.resumers_waiting == 0 && run->machine_spec.fits_in(free_locked())) {
            ++k.running;
            ++q.running;
            take_machine_locked(run->machine_spec);
            return;
        }
        resume_ticket ticket;
        ticket.run = run.get();
        resumers_.push_back(&ticket);
        ++k.resumers_waiting;
        if (manual_) {
            lock.unlock();
            drive_until([&] {
                std::lock_guard check(mutex_);
                return ticket.granted;
            });
            return;
        }
        block_begin_locked();
        ticket.cv.wait(lock, [&] { return ticket.granted; });
        block_end_locked();
    }

    // ---------------------------------------------------------------- the pool

    void spawn_worker_locked() {
        ++active_;
        threads_.emplace_back([this] { worker_main(); });
    }

    /// A thread is about to block inside a run: keep `target_` threads doing work.
    void block_begin_locked() {
        --active_;
        if (exiting_ || active_ >= target_) return;
        if (parked_ > wake_tokens_) {
            ++wake_tokens_;
            ++active_;
            park_cv_.notify_one();
        } else {
            spawn_worker_locked();
        }
    }

    void block_end_locked() { ++active_; }  // an excess thread parks at its next turn

    void worker_main() {
        std::unique_lock lock(mutex_);
        for (;;) {
            if (exiting_) return;
            if (active_ > target_) {
                --active_;
                ++parked_;
                park_cv_.wait(lock, [this] { return wake_tokens_ > 0 || exiting_; });
                --parked_;
                if (exiting_) return;
                --wake_tokens_;
                continue;
            }
            work_item item;
            if (next_work_locked(item)) {
                lock.unlock();
                const bool was_run = perform(item);
                item = work_item{};  // drop the run and the job before taking the lock
                lock.lock();
                work_done_locked(was_run);  // in the same critical section that takes the next work
                continue;
            }
            ++idle_;
            work_cv_.wait(lock);
            --idle_;
            if (woken_ > 0) --woken_;
        }
    }

    /// Does one piece of work, without the scheduler lock; returns whether it was a run. The
    /// caller then calls work_done_locked with the lock held.
    bool perform(work_item& item) {
        if (item.job) {
            item.job();
            return false;
        }
        execute(item.run, /*count_finished=*/false);
        return true;
    }

    void work_done_locked(bool was_run) {
        if (was_run) {
            finished_executing_locked();
        } else if (stopping_) {
            drained_cv_.notify_all();
        }
    }

    // ---------------------------------------------------------------- executing

    run_context make_context(const std::shared_ptr<run_state>& run, int attempt, time_point started,
                             std::stop_token stop) const {
        const auto& def = *run->task;
        return run_context(run_info{run->id, run->parent_id(), run->tags(), run->created_at},
                           attempt_info{attempt, started}, task_info{def.id, def.description},
                           queue_info{run->queue_name, run->queue ? run->queue->limit : 0, run->concurrency_key()},
                           run->machine_spec, std::move(stop),
                           logger(logger::target{run.get(), &log_sink_, clock_.get(), max_log_entries_, attempt}),
                           run.get(), const_cast<runtime_core*>(this));
    }

    attempt_env make_env(const std::shared_ptr<run_state>& run, int in_budget) const {
        attempt_env env;
        env.attempt_in_budget = in_budget;
        env.first_attempt = in_budget == 1;
        env.random = &random_;
        env.time = clock_.get();
        // Two pointers fit std::function's inline buffer: no allocation per attempt. The run
        // outlives the attempt, which holds a shared_ptr to it.
        env.hook_failed = [this, state = run.get()](std::string_view hook, error_info e) {
            e.message = fmt::format("{} threw: {}", hook, e.message);
            logger(logger::target{state, &log_sink_, clock_.get(), max_log_entries_, 0})
                .log(log_level::error, e.message);
            std::lock_guard lock(state->mutex);
            state->extras().hook_errors.push_back(std::move(e));
        };
        return env;
    }

    /// Runs one attempt of `run`, which holds its queue slot and machine. A worker counts the
    /// attempt's end itself (`count_finished = false`) when it next takes the scheduler lock.
    void execute(const std::shared_ptr<run_state>& run, bool count_finished = true) {
        int attempt = 0;
        int in_budget = 0;
        std::stop_token stop;
        std::uint64_t generation = 0;
        const auto now = clock_->now();
        {
            std::unique_lock lock(run->mutex);
            if (run->status != run_status::queued) {  // canceled or expired on the way
                lock.unlock();
                std::lock_guard sched(mutex_);
                release_locked(run);
                if (count_finished) finished_executing_locked();
                return;
            }
            run->status = run_status::executing;
            attempt = ++run->attempts_started;
            in_budget = attempt - run->budget_start;
            run->attempts.push_back(attempt_record{attempt, now, std::nullopt, std::nullopt});
            if (!run->started_at) run->started_at = now;
            run->run_at.reset();
            if (!run->stop.stop_possible()) run->stop = std::stop_source();
            stop = run->stop.get_token();
            generation = run->generation;
        }
        publish(run, run_status::executing, attempt);
        if (run->max_duration) {
            timers_.schedule(now + *run->max_duration, run_timer{.run = run,
                                                                 .generation = generation,
                                                                 .attempt = attempt,
                                                                 .what = run_timer::kind::max_duration_over});
        }

        exec_frame frame{this, run, current_frame};
        current_frame = &frame;
        auto ctx = make_context(run, attempt, now, stop);
        const attempt_result outcome = run->task->execute_attempt(*run, ctx, make_env(run, in_budget));
        current_frame = frame.previous;

        {
            std::lock_guard sched(mutex_);
            release_locked(run);
        }
        finish_attempt(run, outcome, attempt);
        if (count_finished) {
            std::lock_guard sched(mutex_);
            finished_executing_locked();
        }
    }

    void finished_executing_locked() {
        --executing_;
        if (stopping_ && executing_ == 0) drained_cv_.notify_all();
    }

    void finish_attempt(const std::shared_ptr<run_state>& run, const attempt_result& outcome, int attempt) {
        const auto now = clock_->now();
        std::vector<std::function<void()>> callbacks;
        run_status status = outcome.next;
        bool canceled_instead = false;
        std::uint64_t generation = 0;
        time_point due{};
        const bool shutting_down = stopping();
        {
            std::lock_guard lock(run->mutex);
            auto& record = run->attempts.back();
            record.finished_at = now;
            if (outcome.error) record.error = outcome.error;
            if (status == run_status::retrying && (run->cancel_requested || shutting_down)) {
                status = run_status::canceled;  // canceled between the attempt and now, or shutting down
                canceled_instead = true;
            }
            if (status == run_status::retrying) {
                run->status = run_status::retrying;
                due = now + *outcome.retry_delay;
                run->run_at = due;
                generation = run->generation;
            } else if (canceled_instead) {
                end_locked(*run, status, make_error_info<canceled_error>(), callbacks);
            } else {
                end_locked(*run, status, outcome.error, callbacks);
            }
        }
        if (status == run_status::retrying) {
            publish(run, status, attempt);
            timers_.schedule(due, run_timer{.run = run, .generation = generation, .what = run_timer::kind::retry_due});
            return;
        }
        finish_publish(run, status, callbacks);
        if (canceled_instead) run_terminal_hooks(run, make_error_info<canceled_error>());
    }

    /// Sets a terminal status; call with run->mutex held. Callbacks to run are moved to `callbacks`.
    void end_locked(run_state& run, run_status status, std::optional<error_info> error,
                    std::vector<std::function<void()>>& callbacks) {
        run.status = status;
        if (error) {
            run.extras().error = std::move(error);
        } else if (auto* extras = run.extras_if_any()) {
            extras->error.reset();
        }
        run.finished_at = clock_->now();
        run.run_at.reset();
        run.ended.store(true, std::memory_order_release);
        if (auto* extras = run.extras_if_any()) callbacks.swap(extras->finish_callbacks);
    }

    void finish_publish(const std::shared_ptr<run_state>& run, run_status status,
                        std::vector<std::function<void()>>& callbacks) {
        int attempt = 0;
        {
            std::lock_guard lock(run->mutex);
            attempt = run->attempts_started;
        }
        run->ended.notify_all();
        for (auto& callback : callbacks) callback();
        publish(run, status, attempt);
    }

    /// on_failure and on_complete for a run that ended outside an attempt (canceled while retrying).
    void run_terminal_hooks(const std::shared_ptr<run_state>& run, const error_info& error) {
        int attempt = 0;
        int in_budget = 1;
        std::stop_token stop;
        {
            std::lock_guard lock(run->mutex);
            attempt = run->attempts_started;
            in_budget = attempt - run->budget_start;
            stop = run->stop.get_token();
        }
        exec_frame frame{this, run, current_frame};
        current_frame = &frame;
        auto ctx = make_context(run, attempt, clock_->now(), stop);
        run->task->run_terminal_hooks(*run, ctx, error, make_env(run, in_budget));
        current_frame = frame.previous;
    }

    /// A delayed run's delay, or a retrying run's backoff, has passed: queue it.
    void release_delayed(const std::weak_ptr<run_state>& weak, run_status expected, std::uint64_t generation) {
        auto run = weak.lock();
        if (!run) return;
        {
            std::lock_guard lock(run->mutex);
            if (run->status != expected || run->generation != generation) return;
            run->status = run_status::queued;
            run->run_at.reset();
        }
        publish(run, run_status::queued, 0);
        enqueue(run);
    }

    void on_run_timer(const run_timer& timer) {
        switch (timer.what) {
            case run_timer::kind::delay_over:
                release_delayed(timer.run, run_status::delayed, timer.generation);
                break;
            case run_timer::kind::retry_due:
                release_delayed(timer.run, run_status::retrying, timer.generation);
                break;
            case run_timer::kind::ttl_over:
                expire(timer.run);
                break;
            case run_timer::kind::max_duration_over:
                stop_overrunning(timer);
                break;
        }
    }

    /// max_duration passed: requests the stop of the attempt it limited, if still running.
    static void stop_overrunning(const run_timer& timer) {
        auto run = timer.run.lock();
        if (!run) return;
        std::stop_source stop_source;
        {
            std::lock_guard lock(run->mutex);
            if ((run->status != run_status::executing && run->status != run_status::waiting) ||
                run->generation != timer.generation || run->attempts_started != timer.attempt)
                return;
            run->timed_out = true;
            stop_source = run->stop;
        }
        stop_source.request_stop();
    }

    void expire(const std::weak_ptr<run_state>& weak) {
        auto run = weak.lock();
        if (!run) return;
        std::vector<std::function<void()>> callbacks;
        {
            std::lock_guard lock(run->mutex);
            if ((run->status != run_status::queued && run->status != run_status::delayed) || run->attempts_started > 0)
                return;
            end_locked(*run, run_status::expired, make_error_info<expired_error>(), callbacks);
        }
        finish_publish(run, run_status::expired, callbacks);
    }

    void publish(const std::shared_ptr<run_state>& run, run_status status, int attempt) {
        store_->changed(run, status);
        if (subscriber_count_.load(std::memory_order_acquire) == 0) return;
        std::vector<std::shared_ptr<subscriber>> subs;
        {
            std::shared_lock lock(subscribers_mutex_);
            subs = subscribers_;
        }
        const status_event event{run->id, run->task_id, status, attempt};
        for (auto& sub : subs) {
            if (sub->filter && !sub->filter(*run, status)) continue;
            std::lock_guard calling(sub->mutex);
            if (!sub->active) continue;
            try {
                sub->callback(event);
            } catch (...) {  // a subscriber's exception must not escape into a worker
            }
        }
    }

    // ---------------------------------------------------------------- waits

    static bool count_ended(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode) {
        std::size_t ended = 0;
        for (const auto& run : runs)
            if (run->ended.load(std::memory_order_acquire)) ++ended;
        return mode == wait_mode::all ? ended == runs.size() : (ended > 0 || runs.empty());
    }

    /// Blocks the calling thread until the runs end (or the deadline, or `stop` is requested).
    bool block_until(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                     std::optional<std::chrono::steady_clock::time_point> deadline, const std::stop_token* stop) {
        if (!deadline && !stop && (mode == wait_mode::all || runs.size() == 1)) {
            // Nothing can cut this wait short: wait on each run's `ended` flag (C++20 atomic
            // wait), which registers nothing with the run.
            for (const auto& run : runs) run->wait_terminal();
            return true;
        }
        struct waiter {
            std::mutex mutex;
            std::condition_variable cv;
            bool woken = false;
        };
        auto w = std::make_shared<waiter>();
        auto wake = [w] {
            std::lock_guard lock(w->mutex);
            w->woken = true;
            w->cv.notify_all();
        };
        for (const auto& run : runs) {
            std::lock_guard lock(run->mutex);
            if (!is_terminal(run->status)) run->extras().finish_callbacks.push_back(wake);
        }
        std::optional<std::stop_callback<std::function<void()>>> on_stop;
        if (stop) on_stop.emplace(*stop, std::function<void()>(wake));
        std::unique_lock lock(w->mutex);
        for (;;) {
            if (count_ended(runs, mode)) return true;
            if (stop && stop->stop_requested()) return false;
            if (deadline) {
                if (w->cv.wait_until(lock, *deadline) == std::cv_status::timeout) return count_ended(runs, mode);
            } else {
                w->cv.wait(lock);
            }
            w->woken = false;
        }
    }

    bool wait_inside_run(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                         std::optional<std::chrono::steady_clock::time_point> deadline) {
        auto self_run = current_frame->run;
        auto satisfied = [&] { return count_ended(runs, mode); };
        std::stop_token stop;
        int attempt = 0;
        {
            std::lock_guard lock(self_run->mutex);
            self_run->status = run_status::waiting;
            stop = self_run->stop.get_token();
            attempt = self_run->attempts_started;
        }
        publish(self_run, run_status::waiting, attempt);
        {
            std::lock_guard lock(mutex_);
            release_locked(self_run);
        }
        // Hand-off: an awaited run that can start now runs here, on this thread. A timed wait
        // never does this, since a run executed inline could outlast the deadline.
        while (!deadline && !satisfied()) {
            std::shared_ptr<run_state> inline_run;
            {
                std::lock_guard lock(mutex_);
                for (const auto& run : runs) {
                    if (!run->ended.load(std::memory_order_acquire) && run->runtime.lock().get() == this &&
                        take_for_inline_locked(run)) {
                        inline_run = run;
                        break;
                    }
                }
            }
            if (!inline_run) break;
            execute(inline_run);
        }
        bool ok = satisfied();
        if (!ok) {
            if (manual_) {
                ok = drive_until([&] { return satisfied() || stop.stop_requested(); }, deadline) && satisfied();
            } else {
                {
                    std::lock_guard lock(mutex_);
                    block_begin_locked();
                }
                ok = block_until(runs, mode, deadline, &stop);
                std::lock_guard lock(mutex_);
                block_end_locked();
            }
        }
        reacquire(self_run);
        {
            std::lock_guard lock(self_run->mutex);
            self_run->status = run_status::executing;
        }
        publish(self_run, run_status::executing, attempt);
        return ok;
    }

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
    [[nodiscard]] std::string make_id(std::string_view prefix, std::uint64_t n) const {
        return format_id(prefix, id_salt_, n);
    }

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
    int idle_ = 0;   // workers waiting on work_cv_
    int woken_ = 0;  // of those, already signaled and not yet awake
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
