/// @file detail/impl/runtime_engine.ipp
/// The definitions of what <taskkit/detail/runtime_engine.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/runtime_engine.hpp>

#include <cmath>
#include <random>

#include <taskkit/detail/time_math.hpp>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace taskkit::detail {

TASKKIT_DECL void ring(run_state& alarm) {
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

TASKKIT_DECL machine host_machine() {
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

TASKKIT_DECL auto runtime_core::create(runtime_options options) -> std::shared_ptr<runtime_core> {
    auto engine = std::make_shared<runtime_engine>(std::move(options));
    engine->start();
    return engine;
}

TASKKIT_DECL runtime_engine::runtime_engine(runtime_options options)
    : runtime_core(options.clock ? std::move(options.clock) : std::make_shared<real_clock>(),
                   options.registry ? *options.registry : registry::global(),
                   options.store ? std::move(options.store) : std::make_shared<memory_run_store>(),
                   options.capacity.value_or(host_machine())),
      log_sink_(options.log_sink ? std::move(options.log_sink) : stderr_log_sink()),
      max_log_entries_(options.max_log_entries),
      shutdown_grace_(options.shutdown_grace),
      timers_(clock_) {
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    target_ = static_cast<int>(options.workers.value_or(hw));
    manual_ = target_ == 0;
    if (!(capacity_.cpu > 0) || !(capacity_.memory > 0))
        throw options_error("runtime capacity needs cpu and memory greater than 0");
    if (options.shutdown_grace.count() < 0) throw options_error("runtime option shutdown_grace must not be negative");
    if (options.random) {
        // The user's source is isolated like a hook: an exception or a value outside [0, 1) gives
        // no jitter, and a throw is recorded on the run whose retry asked for the number.
        random_ = [user = std::move(options.random)]() -> double {
            try {
                const double value = user();
                return value >= 0.0 && value < 1.0 ? value : 0.0;
            } catch (...) {
                if (current_frame && current_frame->run) {
                    auto e = describe_exception(std::current_exception());
                    e.message = "runtime_options.random threw: " + e.message;
                    std::lock_guard lock(current_frame->run->mutex);
                    current_frame->run->extras().hook_errors.push_back(std::move(e));
                }
                return 0.0;
            }
        };
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

TASKKIT_DECL runtime_engine::~runtime_engine() { shutdown(); }

TASKKIT_DECL auto runtime_engine::start() -> void {
    if (!manual_) {
        timers_.start_thread();
        scheduler_lock lock(*this);
        for (int i = 0; i < target_; ++i) spawn_worker_locked();
    }
    registry_->runtime_started(*this);
}

TASKKIT_DECL auto runtime_engine::schedule_timer(time_point at, std::function<void()> fn, bool background) -> void {
    timers_.schedule(at, std::move(fn), background);
}

TASKKIT_DECL auto runtime_engine::thread_count() const -> std::size_t {
    std::lock_guard lock(mutex_);  // reads only: owes no wake-ups
    return threads_.size();
}

TASKKIT_DECL auto runtime_engine::prepare(const std::shared_ptr<run_state>& run,
                                          std::shared_ptr<const task_definition_base> task,
                                          const trigger_options& options) -> void {
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
    run->max_duration =
        (options.max_duration ? options.max_duration : def.max_duration).value_or(std::chrono::milliseconds(0));
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
    if (options.ttl) run->extras().expires_at = saturating_add(now, *options.ttl);
    const auto due = options.delay.due(now);
    if (due > now) {
        run->status = run_status::delayed;
        run->run_at = due;
    } else {
        run->status = run_status::queued;
    }
}

TASKKIT_DECL auto runtime_engine::commit(const std::shared_ptr<run_state>& run, const trigger_options& options)
    -> std::shared_ptr<run_state> {
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
    idempotency_.emplace(
        key, idempotency_entry{run, saturating_add(run->created_at,
                                                   options.idempotency_key_ttl.value_or(std::chrono::hours(24 * 30)))});
    return run;
}

TASKKIT_DECL auto runtime_engine::submit(const std::shared_ptr<run_state>& run,
                                         std::shared_ptr<const task_definition_base> task,
                                         const trigger_options& options) -> std::shared_ptr<run_state> {
    prepare(run, std::move(task), options);
    return commit(run, options);
}

TASKKIT_DECL auto runtime_engine::next_batch_id() -> std::string {
    return make_id("batch_", id_counter_.fetch_add(1, std::memory_order_relaxed) + 1);
}

TASKKIT_DECL auto runtime_engine::cancel(const std::shared_ptr<run_state>& run) -> bool {
    std::vector<std::shared_ptr<run_state>> children;
    std::vector<std::function<void()>> callbacks;
    std::stop_source stop;
    bool request_stop = false;
    bool ended_now = false;
    bool terminal_hooks = false;
    std::optional<noted_change> change;
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
            change =
                end_locked(*run, run_status::canceled, make_error_info<canceled_error>(), callbacks, clock_->now());
            ended_now = true;
        }
    }
    if (request_stop) stop.request_stop();
    if (ended_now) finish_publish(run, callbacks, change);
    for (auto& child : children) cancel(child);
    if (terminal_hooks) {
        post([self = shared_engine(), run] { self->run_terminal_hooks(run, make_error_info<canceled_error>()); });
    }
    return true;
}

TASKKIT_DECL auto runtime_engine::cancel_unstarted(const std::shared_ptr<run_state>& run) -> bool {
    std::vector<std::function<void()>> callbacks;
    std::optional<noted_change> change;
    bool terminal_hooks = false;
    {
        std::lock_guard lock(run->mutex);
        if (run->status != run_status::queued && run->status != run_status::delayed &&
            run->status != run_status::retrying)
            return false;
        terminal_hooks = run->attempts_started > run->budget_start;
        change = end_locked(*run, run_status::canceled, make_error_info<canceled_error>(), callbacks, clock_->now());
    }
    finish_publish(run, callbacks, change);
    if (terminal_hooks) {
        post([self = shared_engine(), run] { self->run_terminal_hooks(run, make_error_info<canceled_error>()); });
    }
    return true;
}

TASKKIT_DECL auto runtime_engine::interrupt(run_state& run) -> void {
    std::stop_source stop;
    {
        std::lock_guard lock(run.mutex);
        if ((run.status != run_status::executing && run.status != run_status::waiting) || run.cancel_requested) return;
        run.cancel_requested = true;
        stop = run.stop;
    }
    stop.request_stop();
}

TASKKIT_DECL auto runtime_engine::retry(const std::shared_ptr<run_state>& run) -> void {
    {
        scheduler_lock lock(*this);
        if (stopping_) throw runtime_stopped_error();
    }
    std::optional<noted_change> change;
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
        change = note_change_locked(*run, run_status::queued, 0);
    }
    // A store holds every unfinished run: one that forgot this run after it finished (a memory
    // store keeps only the most recent finished runs) holds it again, so its id finds it.
    if (!store_->find(run->id)) store_->add(run);
    deliver(run, change);
    enqueue(run);
}

TASKKIT_DECL auto runtime_engine::replay(const std::shared_ptr<run_state>& run) -> std::shared_ptr<run_state> {
    auto copy = run->task->clone_run(*run);
    trigger_options options;
    const auto tags = run->tags();
    options.tags.assign(tags.begin(), tags.end());
    options.machine = run->machine_spec;
    options.max_attempts = run->max_attempts;
    if (run->max_duration.count() > 0) options.max_duration = run->max_duration;
    submit(copy, run->task, options);
    return copy;
}

TASKKIT_DECL auto runtime_engine::wait(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                                       std::optional<std::chrono::steady_clock::time_point> deadline) -> bool {
    auto satisfied = [&] { return count_ended(runs, mode); };
    if (satisfied()) return true;
    if (current_frame && current_frame->core == this) return wait_inside_run(runs, mode, deadline);
    if (manual_) return drive_until(satisfied, deadline);
    return block_until(runs, mode, deadline, nullptr);
}

TASKKIT_DECL auto runtime_engine::drive_until(const std::function<bool()>& done,
                                              std::optional<std::chrono::steady_clock::time_point> deadline,
                                              bool until_idle) -> bool {
    for (;;) {
        if (done()) return true;
        if (deadline && std::chrono::steady_clock::now() >= *deadline) return false;
        timers_.fire_due();
        work_item item;
        bool got = false;
        {
            scheduler_lock lock(*this);
            got = next_work_locked(item);
        }
        if (got) {
            perform(item);
            item.job = nullptr;
            scheduler_lock lock(*this);
            work_done_locked(item.run);  // the run is dropped after unlocking
            continue;
        }
        if (done()) return true;
        const auto next = timers_.next_deadline();
        if (!next) return done();                                    // nothing is left that could make progress
        if (until_idle && timers_.foreground() == 0) return done();  // only recurring timers are left
        if (auto* virtual_time = dynamic_cast<virtual_clock*>(clock_.get())) {
            // A timed wait measures real time: it runs what is runnable now and never moves the
            // virtual clock (in which nothing would happen before its deadline anyway).
            if (deadline) return done();
            virtual_time->set(*next);
        } else {
            auto pause = std::min<clock::duration>(*next - clock_->now(), std::chrono::hours(24));
            if (deadline) pause = std::min<clock::duration>(pause, *deadline - std::chrono::steady_clock::now());
            if (pause > clock::duration::zero()) std::this_thread::sleep_for(pause);
        }
    }
}

TASKKIT_DECL auto runtime_engine::run_ready() -> void {
    for (;;) {
        timers_.fire_due();
        work_item item;
        bool got = false;
        {
            scheduler_lock lock(*this);
            got = next_work_locked(item);
        }
        if (!got) return;
        perform(item);
        item.job = nullptr;
        scheduler_lock lock(*this);
        work_done_locked(item.run);  // the run is dropped after unlocking
    }
}

TASKKIT_DECL auto runtime_engine::reschedule(const std::shared_ptr<run_state>& run, const run_delay& delay) -> void {
    if (delay.negative()) throw options_error("reschedule: the delay must not be negative");
    const auto due = delay.due(clock_->now());
    std::uint64_t generation = 0;
    std::optional<noted_change> change;
    {
        std::lock_guard lock(run->mutex);
        if (run->status != run_status::delayed)
            throw state_error(
                fmt::format("run {} is {}: only delayed runs can be rescheduled", run->id, to_string(run->status)));
        run->run_at = due;
        generation = ++run->generation;
        change = note_change_locked(*run, run_status::delayed, 0);
    }
    deliver(run, change);
    arm_delay(run, due, generation);
}

TASKKIT_DECL auto runtime_engine::sleep_until(run_state& run, time_point at) -> bool {
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

TASKKIT_DECL auto runtime_engine::subscribe(std::function<void(const status_event&)> callback,
                                            std::function<bool(const run_state&, run_status)> filter)
    -> std::shared_ptr<subscriber> {
    auto sub = std::make_shared<subscriber>();
    sub->callback = std::move(callback);
    sub->filter = std::move(filter);
    std::unique_lock lock(subscribers_mutex_);
    subscribers_.push_back(sub);
    subscriber_count_.store(subscribers_.size(), std::memory_order_release);
    return sub;
}

TASKKIT_DECL auto runtime_engine::unsubscribe(const std::shared_ptr<subscriber>& sub) -> void {
    {
        std::lock_guard calling(sub->mutex);
        sub->active = false;
    }
    std::unique_lock lock(subscribers_mutex_);
    std::erase(subscribers_, sub);
    subscriber_count_.store(subscribers_.size(), std::memory_order_release);
}

TASKKIT_DECL auto runtime_engine::shutdown() -> void {
    {
        scheduler_lock lock(*this);
        if (stopping_) return;
        stopping_ = true;
    }
    registry_->runtime_stopping(*this);  // the registry's extensions stop their timers
    // Workers start no queued run from now on (next_work_locked). Runs that have not started are
    // canceled; one that a worker started meanwhile is left to end by its own outcome.
    store_->for_each([this](const std::shared_ptr<run_state>& run) { cancel_unstarted(run); });
    // Waits end: each returns that it was interrupted, and the run's stop token is requested.
    store_->for_each([](const std::shared_ptr<run_state>& run) {
        if (run->current_status() == run_status::waiting) interrupt(*run);
    });
    if (manual_) {
        drive_until([this] {
            scheduler_lock lock(*this);
            return jobs_.empty() && executing_ == 0;
        });
    } else {
        std::unique_lock lock(mutex_);
        notify_owed_locked();
        const auto drained = [this] { return executing_ == 0 && jobs_.empty(); };
        const auto grace_over = deadline_after(shutdown_grace_);
        if (grace_over && !drained_cv_.wait_until(lock, *grace_over, drained)) {
            // The grace period is over: executing runs have their stop tokens requested.
            lock.unlock();
            store_->for_each([](const std::shared_ptr<run_state>& run) { interrupt(*run); });
            lock.lock();
        }
        drained_cv_.wait(lock, drained);
    }
    std::vector<std::thread> threads;
    {
        scheduler_lock lock(*this);
        exiting_ = true;
        threads.swap(threads_);
    }
    work_cv_.notify_all();
    park_cv_.notify_all();
    for (auto& t : threads) t.join();
    timers_.stop();
}

TASKKIT_DECL auto runtime_engine::commit_new(const std::shared_ptr<run_state>& run) -> void {
    if (stopping_.load()) throw runtime_stopped_error("the runtime is shutting down: no new runs are accepted");
    exec_frame* parent = current_frame && current_frame->core == this ? current_frame : nullptr;
    // The run is this thread's alone until the store holds it: what commit needs of it later is
    // read now (a ttl timer or a cancel by id may change it as soon as it is published).
    if (parent) run->extras().parent_id = parent->run->id;
    run->id = make_id("run_", id_counter_.fetch_add(1, std::memory_order_relaxed) + 1);
    const bool delayed = run->status == run_status::delayed;
    const time_point due = run->run_at.value_or(time_point{});
    const auto expires_at = run->expires_at();
    bool parent_canceled = false;
    if (parent) {
        // Under the parent's lock, where cancel() reads its children: a child is either seen by the
        // cancel's cascade or sees the cancel here; a canceled run's children never start.
        std::lock_guard lock(parent->run->mutex);
        auto& family = parent->run->extras();
        family.children.push_back(run);
        family.child_ids.push_back(run->id);
        parent_canceled = parent->run->cancel_requested;
    }
    store_->add(run);
    std::optional<noted_change> change;
    std::vector<std::function<void()>> callbacks;
    {
        std::lock_guard lock(run->mutex);
        if (is_terminal(run->status)) return;  // canceled by id or by its parent's cascade meanwhile
        if (parent_canceled) {
            change = end_locked(
                *run, run_status::canceled,
                make_error_info<canceled_error>("the run's parent was canceled before it triggered this run"),
                callbacks, clock_->now());
        } else {
            change = note_change_locked(*run, run->status, 0);
        }
    }
    if (parent_canceled) {
        finish_publish(run, callbacks, change);
        return;
    }
    deliver(run, change);
    if (expires_at) timers_.schedule(*expires_at, run_timer{.run = run, .what = run_timer::kind::ttl_over});
    bool stopped = false;
    {
        scheduler_lock lock(*this);
        stopped = stopping_.load();
        if (!stopped) {
            if (!run->queue) run->queue = queue_for_locked(run->queue_name, run->task->queue);
            if (!delayed) push_pending_locked(run, key_of_locked(*run));
        }
    }
    if (stopped) {
        cancel_unstarted(run);  // shutdown began after the check above: canceled like every queued run
        return;
    }
    if (delayed) arm_delay(run, due, 0);
}

TASKKIT_DECL auto runtime_engine::arm_delay(const std::shared_ptr<run_state>& run, time_point due,
                                            std::uint64_t generation) -> void {
    timers_.schedule(due, run_timer{.run = run, .generation = generation, .what = run_timer::kind::delay_over});
}

TASKKIT_DECL auto runtime_engine::queue_for_locked(std::string_view name, const queue_options& task_queue)
    -> queue_state* {
    auto it = queues_.find(name);
    if (it != queues_.end()) return it->second.get();
    queue_options options = registry_->queue(name).value_or(task_queue);
    options.name = std::string(name);
    auto q = std::make_unique<queue_state>(options);
    auto* raw = q.get();
    queues_.emplace(name, std::move(q));
    return raw;
}

TASKKIT_DECL auto runtime_engine::free_locked() const noexcept -> machine {
    return machine{capacity_.cpu - used_.cpu, capacity_.memory - used_.memory};
}

TASKKIT_DECL auto runtime_engine::take_machine_locked(const machine& m) -> void {
    used_.cpu += m.cpu;
    used_.memory += m.memory;
}

TASKKIT_DECL auto runtime_engine::refresh_key_locked(queue_state& q, key_state& k) -> void {
    if (k.in_rotation || k.pending.empty() || !q.key_has_slot(k) || k.resumers_waiting > 0) return;
    if (k.rate && !k.rate->allows(clock_->now())) {
        arm_key_rate_timer_locked(q, k);
        return;
    }
    k.in_rotation = true;
    q.rotation.push_back(&k);
    refresh_queue_locked(q);
}

TASKKIT_DECL auto runtime_engine::refresh_queue_locked(queue_state& q) -> void {
    if (q.in_ready || q.rotation.empty() || !q.total_has_slot()) return;
    if (q.rate && !q.rate->allows(clock_->now())) {
        arm_queue_rate_timer_locked(q);
        return;
    }
    q.in_ready = true;
    ready_.push_back(&q);
    wake_worker_locked();
}

TASKKIT_DECL auto runtime_engine::wake_worker_locked() -> void {
    if (idle_ > woken_) {
        ++woken_;
        ++wakes_owed_;  // notified as the lock is released: the woken thread does not find it held
    }
}

TASKKIT_DECL auto runtime_engine::arm_key_rate_timer_locked(queue_state& q, key_state& k) -> void {
    if (k.rate_timer_armed) return;
    k.rate_timer_armed = true;
    timers_.schedule(k.rate->next_allowed(), [this_ = std::weak_ptr(shared_engine()), qp = &q, kp = &k] {
        auto core = this_.lock();
        if (!core) return;
        scheduler_lock lock(*core);
        kp->rate_timer_armed = false;
        core->refresh_key_locked(*qp, *kp);
    });
}

TASKKIT_DECL auto runtime_engine::arm_queue_rate_timer_locked(queue_state& q) -> void {
    if (q.rate_timer_armed) return;
    q.rate_timer_armed = true;
    timers_.schedule(q.rate->next_allowed(), [this_ = std::weak_ptr(shared_engine()), qp = &q] {
        auto core = this_.lock();
        if (!core) return;
        scheduler_lock lock(*core);
        qp->rate_timer_armed = false;
        core->refresh_queue_locked(*qp);
    });
}

TASKKIT_DECL auto runtime_engine::maybe_forget_key_locked(queue_state& q, key_state& k) -> void {
    if (k.key.empty() || !k.pending.empty() || k.running > 0 || k.resumers_waiting > 0 || k.in_rotation ||
        k.rate_timer_armed)
        return;
    if (k.rate && !k.rate->quiet(clock_->now())) return;  // its recent starts still count
    q.forget(k);
}

TASKKIT_DECL auto runtime_engine::key_of_locked(run_state& run) -> key_state& {
    // A delayed run rescheduled while its trigger was still being committed may get here first.
    if (!run.queue) run.queue = queue_for_locked(run.queue_name, run.task->queue);
    run.key = &run.queue->key(run.concurrency_key());
    return *run.key;
}

TASKKIT_DECL auto runtime_engine::enqueue(const std::shared_ptr<run_state>& run) -> void {
    scheduler_lock lock(*this);
    enqueue_locked(run);
}

TASKKIT_DECL auto runtime_engine::enqueue_locked(const std::shared_ptr<run_state>& run) -> void {
    push_pending_locked(run, key_of_locked(*run));
}

TASKKIT_DECL auto runtime_engine::push_pending_locked(const std::shared_ptr<run_state>& run, key_state& k) -> void {
    run->queue_token = ++queue_tokens_;
    k.pending.push(pending_entry{run->rank, run->queue_token, run});
    refresh_key_locked(*run->queue, k);
}

TASKKIT_DECL auto runtime_engine::post(std::function<void()> job) -> void {
    scheduler_lock lock(*this);
    jobs_.push_back(std::move(job));
    wake_worker_locked();
}

TASKKIT_DECL auto runtime_engine::record_start_locked(queue_state& q, key_state& k) -> void {
    if (!q.rate && !k.rate) return;
    const auto now = clock_->now();
    if (q.rate) q.rate->record(now);
    if (k.rate) k.rate->record(now);
}

TASKKIT_DECL auto runtime_engine::next_work_locked(work_item& out) -> bool {
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
    if (stopping_) return false;  // shutdown: queued runs are canceled, never started
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

TASKKIT_DECL auto runtime_engine::take_for_inline_locked(const std::shared_ptr<run_state>& run) -> bool {
    queue_state* q = run->queue;
    key_state* k = run->key;
    if (!q || !k || run->queue_token == 0 || !q->key_has_slot(*k) || !q->total_has_slot() || k->resumers_waiting > 0 ||
        !run->machine_spec.fits_in(free_locked()))
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

TASKKIT_DECL auto runtime_engine::release_locked(const std::shared_ptr<run_state>& run) -> void {
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

TASKKIT_DECL auto runtime_engine::grant_resumers_locked() -> void {
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

TASKKIT_DECL auto runtime_engine::reacquire(const std::shared_ptr<run_state>& run) -> void {
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
        unlock_and_notify(lock);
        drive_until([&] {
            scheduler_lock check(*this);
            return ticket.granted;
        });
        return;
    }
    block_begin_locked();
    notify_owed_locked();
    ticket.cv.wait(lock, [&] { return ticket.granted; });
    block_end_locked();
}

TASKKIT_DECL auto runtime_engine::notify_owed_locked() -> void { signal_workers(take_owed_wakes_locked()); }

TASKKIT_DECL auto runtime_engine::unlock_and_notify(std::unique_lock<std::mutex>& lock) -> void {
    const int owed = take_owed_wakes_locked();
    lock.unlock();
    signal_workers(owed);
}

TASKKIT_DECL auto runtime_engine::signal_workers(int count) -> void {
    for (; count > 0; --count) work_cv_.notify_one();
}

TASKKIT_DECL auto runtime_engine::spawn_worker_locked() -> void {
    ++active_;
    threads_.emplace_back([this] { worker_main(); });
}

TASKKIT_DECL auto runtime_engine::block_begin_locked() -> void {
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

TASKKIT_DECL auto runtime_engine::worker_main() -> void {
    std::shared_ptr<run_state> done;  // the run executed last: dropped outside the lock
    std::unique_lock lock(mutex_);
    for (;;) {
        if (exiting_) return;
        if (active_ > target_) {
            notify_owed_locked();
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
            unlock_and_notify(lock);
            done.reset();
            perform(item);
            item.job = nullptr;  // drop the job before taking the lock
            lock.lock();
            // One critical section gives back the run's slot and takes the next work.
            work_done_locked(item.run);
            done = std::move(item.run);
            continue;
        }
        if (done) {  // not destroyed under the lock, nor kept while idle
            unlock_and_notify(lock);
            done.reset();
            lock.lock();
            continue;
        }
        notify_owed_locked();
        ++idle_;
        work_cv_.wait(lock);
        --idle_;
        if (woken_ > 0) --woken_;
    }
}

TASKKIT_DECL auto runtime_engine::perform(work_item& item) -> void {
    if (item.job) {
        item.job();
        return;
    }
    execute(item.run, /*by_worker=*/true);
}

TASKKIT_DECL auto runtime_engine::work_done_locked(const std::shared_ptr<run_state>& run) -> void {
    if (run) {
        release_locked(run);
        finished_executing_locked();
    } else if (stopping_) {
        drained_cv_.notify_all();
    }
}

TASKKIT_DECL auto runtime_engine::make_context(const std::shared_ptr<run_state>& run, int attempt, time_point started,
                                               std::stop_token stop) const -> run_context {
    const auto& def = *run->task;
    return run_context(run_info{run->id, run->parent_id(), run->tags(), run->created_at},
                       attempt_info{attempt, started}, task_info{def.id, def.description},
                       queue_info{run->queue_name, run->queue ? run->queue->limit : 0, run->concurrency_key()},
                       run->machine_spec, std::move(stop),
                       logger(logger::target{run.get(), &log_sink_, clock_.get(), max_log_entries_, attempt}),
                       run.get(), const_cast<runtime_engine*>(this));
}

TASKKIT_DECL auto runtime_engine::make_env(const std::shared_ptr<run_state>& run, int in_budget) const -> attempt_env {
    attempt_env env;
    env.attempt_in_budget = in_budget;
    env.first_attempt = in_budget == 1;
    env.random = &random_;
    env.time = clock_.get();
    // Two pointers fit std::function's inline buffer: no allocation per attempt. The run
    // outlives the attempt, which holds a shared_ptr to it.
    env.hook_failed = [this, state = run.get()](std::string_view hook, error_info e) {
        e.message = fmt::format("{} threw: {}", hook, e.message);
        logger(logger::target{state, &log_sink_, clock_.get(), max_log_entries_, 0}).log(log_level::error, e.message);
        std::lock_guard lock(state->mutex);
        state->extras().hook_errors.push_back(std::move(e));
    };
    return env;
}

TASKKIT_DECL auto runtime_engine::execute(const std::shared_ptr<run_state>& run, bool by_worker) -> void {
    int attempt = 0;
    int in_budget = 0;
    std::stop_token stop;
    std::uint64_t generation = 0;
    std::optional<noted_change> change;
    const auto now = clock_->now();
    {
        std::unique_lock lock(run->mutex);
        if (run->status != run_status::queued) {  // canceled or expired on the way
            lock.unlock();
            if (by_worker) return;  // the worker gives the slot back
            scheduler_lock sched(*this);
            release_locked(run);
            finished_executing_locked();
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
        change = note_change_locked(*run, run_status::executing, attempt);
    }
    deliver(run, change);
    if (run->max_duration.count() > 0) {
        timers_.schedule(
            saturating_add(now, run->max_duration),
            run_timer{
                .run = run, .generation = generation, .attempt = attempt, .what = run_timer::kind::max_duration_over});
    }

    exec_frame frame{this, run, current_frame, current_frame ? current_frame->depth + 1 : 0};
    current_frame = &frame;
    auto ctx = make_context(run, attempt, now, stop);
    const attempt_result outcome = run->task->execute_attempt(*run, ctx, make_env(run, in_budget));
    current_frame = frame.previous;

    if (by_worker) {  // the worker gives the slot back as it takes its next work (one lock for both)
        finish_attempt(run, outcome, attempt);
        return;
    }
    {
        scheduler_lock sched(*this);
        release_locked(run);
    }
    finish_attempt(run, outcome, attempt);
    scheduler_lock sched(*this);
    finished_executing_locked();
}

TASKKIT_DECL auto runtime_engine::finished_executing_locked() -> void {
    --executing_;
    if (stopping_ && executing_ == 0) drained_cv_.notify_all();
}

TASKKIT_DECL auto runtime_engine::finish_attempt(const std::shared_ptr<run_state>& run, const attempt_result& outcome,
                                                 int attempt) -> void {
    const auto now = clock_->now();
    std::vector<std::function<void()>> callbacks;
    run_status status = outcome.next;
    bool canceled_instead = false;
    std::uint64_t generation = 0;
    time_point due{};
    const bool shutting_down = stopping();
    std::optional<noted_change> change;
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
            due = saturating_add(now, *outcome.retry_delay);
            run->run_at = due;
            generation = run->generation;
            change = note_change_locked(*run, status, attempt);
        } else if (canceled_instead) {
            change = end_locked(*run, status, make_error_info<canceled_error>(), callbacks, now);
        } else {
            change = end_locked(*run, status, outcome.error, callbacks, now);
        }
    }
    if (status == run_status::retrying) {
        deliver(run, change);
        timers_.schedule(due, run_timer{.run = run, .generation = generation, .what = run_timer::kind::retry_due});
        return;
    }
    finish_publish(run, callbacks, change);
    if (canceled_instead) run_terminal_hooks(run, make_error_info<canceled_error>());
}

TASKKIT_DECL auto runtime_engine::end_locked(run_state& run, run_status status, std::optional<error_info> error,
                                             std::vector<std::function<void()>>& callbacks, time_point now)
    -> std::optional<noted_change> {
    run.status = status;
    if (error) {
        run.extras().error = std::move(error);
    } else if (auto* extras = run.extras_if_any()) {
        extras->error.reset();
    }
    run.finished_at = now;
    run.run_at.reset();
    run.ended.store(true, std::memory_order_release);
    if (auto* extras = run.extras_if_any()) callbacks.swap(extras->finish_callbacks);
    return note_change_locked(run, status, run.attempts_started);
}

TASKKIT_DECL auto runtime_engine::finish_publish(const std::shared_ptr<run_state>& run,
                                                 std::vector<std::function<void()>>& callbacks,
                                                 std::optional<noted_change> change) -> void {
    run->ended.notify_all();
    for (auto& callback : callbacks) callback();
    deliver(run, change);
}

TASKKIT_DECL auto runtime_engine::run_terminal_hooks(const std::shared_ptr<run_state>& run, const error_info& error)
    -> void {
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

TASKKIT_DECL auto runtime_engine::release_delayed(const std::weak_ptr<run_state>& weak, run_status expected,
                                                  std::uint64_t generation) -> void {
    auto run = weak.lock();
    if (!run) return;
    std::optional<noted_change> change;
    {
        std::lock_guard lock(run->mutex);
        if (run->status != expected || run->generation != generation) return;
        run->status = run_status::queued;
        run->run_at.reset();
        change = note_change_locked(*run, run_status::queued, 0);
    }
    deliver(run, change);
    enqueue(run);
}

TASKKIT_DECL auto runtime_engine::on_run_timer(const run_timer& timer) -> void {
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

TASKKIT_DECL auto runtime_engine::stop_overrunning(const run_timer& timer) -> void {
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

TASKKIT_DECL auto runtime_engine::expire(const std::weak_ptr<run_state>& weak) -> void {
    auto run = weak.lock();
    if (!run) return;
    std::vector<std::function<void()>> callbacks;
    std::optional<noted_change> change;
    {
        std::lock_guard lock(run->mutex);
        if ((run->status != run_status::queued && run->status != run_status::delayed) || run->attempts_started > 0)
            return;
        change = end_locked(*run, run_status::expired, make_error_info<expired_error>(), callbacks, clock_->now());
    }
    finish_publish(run, callbacks, change);
}

TASKKIT_DECL auto runtime_engine::note_change_locked(run_state& run, run_status status, int attempt)
    -> std::optional<noted_change> {
    if (!run.publishing) {
        run.publishing = true;
        return noted_change{status, attempt};
    }
    run.extras().unpublished.push_back(noted_change{status, attempt});
    return std::nullopt;
}

TASKKIT_DECL auto runtime_engine::deliver(const std::shared_ptr<run_state>& run, std::optional<noted_change> change)
    -> void {
    while (change) {
        store_->changed(run, change->status);
        notify_subscribers(*run, change->status, change->attempt);
        std::lock_guard lock(run->mutex);
        auto* extras = run->extras_if_any();
        if (!extras || extras->unpublished.empty()) {
            run->publishing = false;
            return;
        }
        change = extras->unpublished.front();
        extras->unpublished.erase(extras->unpublished.begin());
    }
}

TASKKIT_DECL auto runtime_engine::notify_subscribers(const run_state& run, run_status status, int attempt) -> void {
    if (subscriber_count_.load(std::memory_order_acquire) == 0) return;
    std::vector<std::shared_ptr<subscriber>> subs;
    {
        std::shared_lock lock(subscribers_mutex_);
        subs = subscribers_;
    }
    const status_event event{run.id, run.task_id, status, attempt};
    for (auto& sub : subs) {
        if (sub->filter && !sub->filter(run, status)) continue;
        std::lock_guard calling(sub->mutex);
        if (!sub->active) continue;
        try {
            sub->callback(event);
        } catch (...) {  // a subscriber's exception must not escape into a worker
        }
    }
}

TASKKIT_DECL auto runtime_engine::count_ended(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode)
    -> bool {
    std::size_t ended = 0;
    for (const auto& run : runs)
        if (run->ended.load(std::memory_order_acquire)) ++ended;
    return mode == wait_mode::all ? ended == runs.size() : (ended > 0 || runs.empty());
}

TASKKIT_DECL auto runtime_engine::block_until(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                                              std::optional<std::chrono::steady_clock::time_point> deadline,
                                              const std::stop_token* stop) -> bool {
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
    struct wake_waiter {
        std::shared_ptr<waiter> w;
        void operator()() const {
            std::lock_guard lock(w->mutex);
            w->woken = true;
            w->cv.notify_all();
        }
    };
    const wake_waiter wake{std::make_shared<waiter>()};
    const auto& w = wake.w;
    for (const auto& run : runs) {
        std::lock_guard lock(run->mutex);
        if (!is_terminal(run->status)) run->extras().finish_callbacks.push_back(wake);
    }
    // However the wait ends (a deadline, a stop, the first of several runs), the callbacks it
    // left on runs still going are taken back: a loop of timed waits on a long run must not
    // pile them up.
    struct unregister {
        const std::vector<std::shared_ptr<run_state>>& runs;
        const std::shared_ptr<waiter>& w;
        ~unregister() {
            for (const auto& run : runs) {
                std::lock_guard lock(run->mutex);
                if (auto* extras = run->extras_if_any())
                    std::erase_if(extras->finish_callbacks, [&](const std::function<void()>& callback) {
                        const auto* mine = callback.target<wake_waiter>();
                        return mine && mine->w == w;
                    });
            }
        }
    } const cleanup{runs, w};
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

TASKKIT_DECL auto runtime_engine::wait_inside_run(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                                                  std::optional<std::chrono::steady_clock::time_point> deadline)
    -> bool {
    auto self_run = current_frame->run;
    auto satisfied = [&] { return count_ended(runs, mode); };
    // A wait that starts during shutdown returns at once, interrupted (shutdown wakes the others).
    if (stopping_) interrupt(*self_run);
    std::stop_token stop;
    int attempt = 0;
    std::optional<noted_change> change;
    {
        std::lock_guard lock(self_run->mutex);
        self_run->status = run_status::waiting;
        stop = self_run->stop.get_token();
        attempt = self_run->attempts_started;
        change = note_change_locked(*self_run, run_status::waiting, attempt);
    }
    deliver(self_run, change);
    {
        scheduler_lock lock(*this);
        release_locked(self_run);
    }
    // Hand-off: an awaited run that can start now runs here, on this thread, when that cannot
    // delay the answer: never for a timed wait (it could outlast the deadline), never for `any`
    // while another candidate is unfinished (it could end first), and never deeper than
    // max_inline_depth runs on one thread (past it, another worker takes the child).
    const auto may_run_inline = [&] {
        if (deadline || stop.stop_requested() || current_frame->depth >= max_inline_depth) return false;
        if (mode == wait_mode::all) return true;
        return std::count_if(runs.begin(), runs.end(), [](const std::shared_ptr<run_state>& run) {
                   return !run->ended.load(std::memory_order_acquire);
               }) == 1;
    };
    while (!satisfied() && may_run_inline()) {
        std::shared_ptr<run_state> inline_run;
        {
            scheduler_lock lock(*this);
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
                scheduler_lock lock(*this);
                block_begin_locked();
            }
            ok = block_until(runs, mode, deadline, &stop);
            scheduler_lock lock(*this);
            block_end_locked();
        }
    }
    reacquire(self_run);
    {
        std::lock_guard lock(self_run->mutex);
        self_run->status = run_status::executing;
        change = note_change_locked(*self_run, run_status::executing, attempt);
    }
    deliver(self_run, change);
    return ok;
}

TASKKIT_DECL auto runtime_engine::make_id(std::string_view prefix, std::uint64_t n) const -> std::string {
    return format_id(prefix, id_salt_, n);
}

}  // namespace taskkit::detail
