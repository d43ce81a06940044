/// @file detail/impl/executor.ipp
/// The definitions of what <taskkit/detail/executor.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/src.hpp>.
#pragma once

#include <taskkit/detail/executor.hpp>

#include <algorithm>
#include <limits>
#include <random>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

#include <fmt/format.h>

#include <taskkit/backend/memory_backend.hpp>
#include <taskkit/detail/exception_info.hpp>
#include <taskkit/detail/payload_decoding.hpp>
#include <taskkit/detail/run_index.hpp>
#include <taskkit/detail/time_math.hpp>

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
    auto engine = std::make_shared<executor>(std::move(options));
    engine->start();
    return engine;
}

TASKKIT_DECL executor::executor(runtime_options options)
    : runtime_core(options.clock ? std::move(options.clock) : std::make_shared<real_clock>(),
                   options.registry ? *options.registry : registry::global(),
                   options.capacity.value_or(host_machine())),
      backend_(options.backend ? std::move(options.backend) : taskkit::memory_backend()),
      log_sink_(options.log_sink ? std::move(options.log_sink) : stderr_log_sink()),
      max_log_entries_(options.max_log_entries),
      max_stream_chunks_(options.max_stream_chunks),
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
    timers_.set_run_timer_handler([this](const run_timer& timer) {
        if (timer.what == run_timer::kind::max_duration_over) {
            stop_overrunning(timer);
        } else if (backend_run_timers_) {
            backend_run_timers_(timer);
        }
    });
}

TASKKIT_DECL executor::~executor() { shutdown(); }

TASKKIT_DECL auto executor::start() -> void {
    const auto traits = backend_->traits();
    keeps_local_ = traits.keeps_local_runs;
    durable_ = traits.durable;
    backend_->attach(*this);
    if (!manual_) {
        timers_.start_thread();
        std::lock_guard lock(mutex_);
        for (int i = 0; i < target_; ++i) spawn_worker_locked();
    }
    registry_->runtime_started(*this);
}

TASKKIT_DECL auto executor::schedule_timer(time_point at, std::function<void()> fn, bool background) -> void {
    timers_.schedule(at, std::move(fn), background);
}

TASKKIT_DECL auto executor::thread_count() const -> std::size_t {
    std::lock_guard lock(mutex_);
    return threads_.size();
}

TASKKIT_DECL auto executor::runs() const noexcept -> taskkit::backend& { return *backend_; }

TASKKIT_DECL auto executor::local(std::string_view run_id) -> std::shared_ptr<run_state> {
    if (keeps_local_) return std::static_pointer_cast<run_state>(backend_->local(run_id));
    if (auto run = followed(run_id)) return run;
    // Read and registered under the run's refresh lock: a status event reported meanwhile waits
    // for the object, then reads a record no older than this one (see refresh_lock).
    std::unique_lock refreshing(refresh_lock(run_id));
    if (auto run = followed(run_id)) return run;
    auto record = backend_->find(run_id);
    if (!record) return nullptr;
    return mirror_of(*record);
}

TASKKIT_DECL auto executor::held_run(std::string_view run_id) -> std::shared_ptr<local_run> {
    if (keeps_local_) return backend_->local(run_id);
    return followed(run_id);
}

// ------------------------------------------------------------------------------------ runs of a database

TASKKIT_DECL auto executor::refresh_lock(std::string_view run_id) -> std::mutex& {
    return refresh_mutexes_[std::hash<std::string_view>{}(run_id) % refresh_mutexes_.size()];
}

TASKKIT_DECL auto executor::followed(std::string_view run_id) -> std::shared_ptr<run_state> {
    std::lock_guard lock(mirrors_mutex_);
    auto it = mirrors_.find(std::string(run_id));
    return it == mirrors_.end() ? nullptr : it->second.lock();
}

TASKKIT_DECL auto executor::follow(const std::shared_ptr<run_state>& run) -> void {
    std::lock_guard lock(mirrors_mutex_);
    mirrors_[run->id] = run;
    if (mirrors_.size() >= mirrors_swept_at_) {  // forget the runs nobody holds any more
        std::erase_if(mirrors_, [](const auto& entry) { return entry.second.expired(); });
        mirrors_swept_at_ = std::max<std::size_t>(64, mirrors_.size() * 2);
    }
}

TASKKIT_DECL auto executor::unfollow(std::string_view run_id) -> void {
    std::lock_guard lock(mirrors_mutex_);
    mirrors_.erase(std::string(run_id));
}

TASKKIT_DECL auto executor::mirror_of(const run_record& record) -> std::shared_ptr<run_state> {
    if (auto run = followed(record.id)) return run;
    auto def = registry_->at(record.task_id);
    auto run = make_run_from_json(*def, record.payload);
    // Not published yet: the fixed fields are written without the lock.
    run->id = record.id;
    run->extras().recorder = this;
    fix(*run, def,
        fixed_fields{.queue = record.queue == def->queue.name ? std::string_view() : std::string_view(record.queue),
                     .machine_spec = record.machine_spec,
                     .max_attempts = def->retry.max_attempts,
                     .max_duration = def->max_duration.value_or(std::chrono::milliseconds(0)),
                     .priority = record.priority,
                     .created_at = record.created_at,
                     .tags = record.tags,
                     .concurrency_key = record.concurrency_key,
                     .idempotency_key = record.idempotency_key});
    if (!record.parent_id.empty()) run->extras().parent_id = record.parent_id;
    if (!record.batch_id.empty()) run->extras().batch_id = record.batch_id;
    (void)apply_record(*run, record);  // nobody waits on an object not published yet
    std::lock_guard lock(mirrors_mutex_);
    auto& slot = mirrors_[run->id];
    if (auto earlier = slot.lock()) return earlier;  // another thread made it first
    slot = run;
    return run;
}

TASKKIT_DECL auto executor::up_to_date(const run_record& record, std::vector<std::function<void()>>& callbacks)
    -> std::shared_ptr<run_state> {
    if (auto run = followed(record.id)) {
        callbacks = apply_record(*run, record);
        return run;
    }
    return mirror_of(record);
}

TASKKIT_DECL auto executor::run_callbacks(std::vector<std::function<void()>>& callbacks) -> void {
    for (auto& callback : callbacks) callback();
    callbacks.clear();
}

TASKKIT_DECL auto executor::apply_record(run_state& run, const run_record& record)
    -> std::vector<std::function<void()>> {
    std::vector<std::function<void()>> callbacks;
    bool ended_now = false;
    {
        std::lock_guard lock(run.mutex);
        const bool was_ended = run.ended.load(std::memory_order_acquire);
        run.status = record.status;
        run.attempts = record.attempts;
        if (!record.attempts.empty())
            run.attempts_started = std::max(run.attempts_started, record.attempts.back().number);
        if (record.started_at) run.started_at = *record.started_at;
        if (record.finished_at)
            run.finished_at = *record.finished_at;
        else
            run.finished_at.reset();
        if (record.run_at)
            run.run_at = *record.run_at;
        else
            run.run_at.reset();
        if (record.error)
            run.extras().error = record.error;
        else if (auto* extras = run.extras_if_any())
            extras->error.reset();
        // While an attempt executes here, the object's metadata leads: its own changes are made on
        // it first, and other processes' reach it as updates. A record read before one of its own
        // changes was stored would take that change back.
        if (run.executing_here == 0 && record.metadata.is_object() && !record.metadata.empty())
            run.extras().metadata = record.metadata;
        if (!record.hook_errors.empty()) run.extras().hook_errors = record.hook_errors;
        if (!record.children.empty()) run.extras().child_ids = record.children;
        // A stream the record holds further than the object (the run appends in another process,
        // or an earlier attempt did): readers here, and a new attempt's next index, go on from it.
        for (const auto& [name, stored] : record.streams) {
            auto& streams = run.extras().streams;
            auto it = streams.find(name);
            if (it != streams.end() && it->second.appended() >= stored.dropped + stored.chunks.size()) continue;
            if (it == streams.end()) {
                if (streams.size() >= max_streams_per_run) continue;
                it = streams.emplace(name, stream_buffer{}).first;
            }
            auto& kept = it->second;
            kept.chunks.assign(stored.chunks.begin(), stored.chunks.end());
            kept.dropped = stored.dropped;
        }
        if (is_terminal(record.status)) {
            if (!record.logs.empty() || record.dropped_logs > 0) {
                auto& extras = run.extras();
                extras.logs = record.logs;
                extras.oldest_log = 0;
                extras.dropped_logs = record.dropped_logs;
            }
            if (record.status == run_status::completed && !run.set_output_json_locked(record.output))
                run.extras().error = error_info{"taskkit::payload_error",
                                                "the stored output does not convert to the task's result type"};
            if (!was_ended) {
                run.ended.store(true, std::memory_order_release);
                if (auto* extras = run.extras_if_any()) callbacks.swap(extras->finish_callbacks);
                ended_now = true;
            }
        } else if (was_ended) {  // queued again (retry): a new cycle, without the last one's cancel
            run.cancel_requested = false;
            run.timed_out = false;
            run.reset_output_locked();
            run.ended.store(false);
            run.generation.fetch_add(1);
        }
    }
    if (ended_now) run.ended.notify_all();
    return callbacks;
}

TASKKIT_DECL auto executor::mirror_changed(const run_event& event) -> void {
    std::shared_ptr<run_state> run;
    std::vector<std::function<void()>> callbacks;
    {
        // Under the run's refresh lock, from the check for an object to the record's application:
        // a lookup by id (local) reads and registers under it too, so the two read the record in
        // the order they apply it, and an object never goes back to an older record.
        std::lock_guard refreshing(refresh_lock(event.run_id));
        run = followed(event.run_id);
        if (!run && subscriber_count_.load(std::memory_order_acquire) == 0) return;
        const bool needs_record = !run || is_terminal(event.status) || event.status == run_status::queued ||
                                  event.status == run_status::delayed || event.status == run_status::retrying;
        if (needs_record) {
            auto record = backend_->find(event.run_id);
            if (!record) return;
            try {
                run = up_to_date(*record, callbacks);
            } catch (const std::exception&) {
                return;  // a task this process does not know, or a payload it cannot decode
            }
        } else {
            std::lock_guard lock(run->mutex);
            // An event older than the record the object holds (read by a lookup after the event's
            // change) leaves it be: an ended run leaves its end only by a record of a new cycle.
            if (!run->ended.load(std::memory_order_acquire)) {
                run->status = event.status;
                if (event.attempt > run->attempts_started) run->attempts_started = event.attempt;
            }
        }
    }
    run_callbacks(callbacks);
    notify_subscribers(*run, event.status, event.attempt);
}

TASKKIT_DECL auto executor::start_mirrored(claimed_run& claimed) -> std::shared_ptr<run_state> {
    // An object this process follows may lag the record (queued again by a retry another process
    // made, whose event has not arrived): the claim's record brings it up to date first.
    std::shared_ptr<run_state> run;
    std::vector<std::function<void()>> callbacks;
    {
        std::lock_guard refreshing(refresh_lock(claimed.record->id));
        run = up_to_date(*claimed.record, callbacks);
    }
    run_callbacks(callbacks);
    if (claimed.max_attempts > 0) run->max_attempts = claimed.max_attempts;
    if (claimed.max_duration.count() > 0) run->max_duration = claimed.max_duration;
    const auto now = clock_->now();
    {
        std::lock_guard lock(run->mutex);
        run->status = run_status::executing;
        run->attempts_started = claimed.lease.attempt;
        run->executing_here = claimed.lease.attempt;
        run->lease_lost = false;
        run->budget_start = claimed.lease.attempt - claimed.attempt_in_budget;
        if (run->attempts.empty() || run->attempts.back().number != claimed.lease.attempt)
            run->attempts.push_back(attempt_record{claimed.lease.attempt, now, std::nullopt, std::nullopt});
        if (!run->started_at) run->started_at = now;
        run->run_at.reset();
        run->timed_out = false;
        if (!run->stop.stop_possible() || run->stop.stop_requested()) run->stop = std::stop_source();
        // A cancel the backend reported between its claim and now (it reports one as soon as it is
        // stored) holds for this attempt: its stop is requested at once. A cancel of an earlier
        // cycle was cleared when the run was queued again (apply_record).
        if (run->cancel_requested) run->stop.request_stop();
    }
    claimed.lease.run = run;
    return run;
}

TASKKIT_DECL auto executor::step_result(run_state& run, std::string_view key) -> std::optional<nlohmann::json> {
    return backend_->step_result(run, key);
}

TASKKIT_DECL auto executor::save_step(run_state& run, std::string_view key, const nlohmann::json& result) -> void {
    backend_->save_step(run, key, result);
}

TASKKIT_DECL auto executor::logged(run_state& run, const log_entry& entry) -> void {
    try {
        backend_->logged(run, entry);
    } catch (const std::exception&) {
        // A line the backend could not store stays on the run's object; the run goes on.
    }
}

TASKKIT_DECL auto executor::hook_failed(run_state& run, const error_info& error) -> void {
    try {
        backend_->hook_failed(run, error);
    } catch (const std::exception&) {
        // An error the backend could not store stays on the run's object; the run goes on.
    }
}

TASKKIT_DECL auto executor::metadata_changed(run_state& run, const metadata_change& change) -> void {
    const bool store = run.recorder() != nullptr;
    const bool watched = watcher_count_.load(std::memory_order_acquire) > 0;
    if (!store && !watched) return;
    nlohmann::json metadata;
    {
        std::lock_guard lock(run.mutex);
        const auto* extras = run.extras_if_any();
        metadata = extras && extras->metadata.is_object() ? extras->metadata : empty_object();
    }
    if (store) backend_->metadata_changed(run, change, metadata);
    if (watched) {
        run_update update;
        update.kind = update_kind::metadata;
        update.metadata = &metadata;
        update.change = &change;
        notify_watchers(run, update);
    }
}

TASKKIT_DECL auto executor::held_run_state(std::string_view run_id) -> std::shared_ptr<run_state> {
    return std::static_pointer_cast<run_state>(held_run(run_id));
}

TASKKIT_DECL auto executor::parent_of(std::string_view run_id) -> std::optional<std::string> {
    if (auto run = held_run_state(run_id)) return std::string(run->parent_id());
    if (auto record = backend_->find(run_id)) return std::move(record->parent_id);
    return std::nullopt;
}

TASKKIT_DECL auto executor::change_metadata_elsewhere(std::string_view run_id, const metadata_change& change) -> void {
    backend_->update_metadata(run_id, change);
}

TASKKIT_DECL auto executor::metadata_elsewhere(std::string_view run_id) -> nlohmann::json {
    auto record = backend_->find(run_id);
    if (!record) throw state_error("run " + std::string(run_id) + " is no longer known: its metadata cannot be read");
    return std::move(record->metadata);
}

TASKKIT_DECL auto executor::append_stream(run_state& run, std::string_view stream, nlohmann::json chunk) -> void {
    check_stream_chunk(stream, chunk);
    const bool store = run.recorder() != nullptr;
    const bool copied = store || watcher_count_.load(std::memory_order_acquire) > 0;
    nlohmann::json copy;
    if (copied) copy = chunk;
    std::size_t index = 0;
    {
        std::lock_guard lock(run.mutex);
        index = keep_stream_chunk(run.extras(), stream, std::move(chunk), max_stream_chunks_);
    }
    // Whether anyone watches is read after the chunk is kept: a subscriber registers before it
    // reads the kept chunks (under the run's mutex), so it either finds this chunk there or is
    // counted here and told of it.
    const bool watched = watcher_count_.load(std::memory_order_acquire) > 0;
    if (watched && !copied) {
        std::lock_guard lock(run.mutex);
        const auto& kept = run.extras().streams.find(stream)->second;
        if (index < kept.dropped) return;  // not kept (a bound of 0): nothing to pass on
        copy = kept.chunks[index - kept.dropped];
    }
    if (store) backend_->stream_appended(run, stream, index, copy);
    if (watched) {
        run_update update;
        update.kind = update_kind::stream;
        update.stream = stream;
        update.index = index;
        update.chunk = &copy;
        notify_watchers(run, update);
    }
}

// ------------------------------------------------------------------------------------ backend_host

TASKKIT_DECL auto executor::time() const -> const std::shared_ptr<taskkit::clock>& { return clock_; }

TASKKIT_DECL auto executor::tasks() const -> taskkit::registry& { return *registry_; }

TASKKIT_DECL auto executor::capacity() const -> const taskkit::machine& { return capacity_; }

TASKKIT_DECL auto executor::schedule(time_point at, std::function<void()> fn) -> void {
    timers_.schedule(at, std::move(fn));
}

TASKKIT_DECL auto executor::timers() -> timer_queue& { return timers_; }

TASKKIT_DECL auto executor::on_run_timers(std::function<void(const run_timer&)> handler) -> void {
    backend_run_timers_ = std::move(handler);
}

TASKKIT_DECL auto executor::work_available() -> void {
    // Paired with the idle worker's announcement (worker_main): either it sees the new epoch and
    // looks again, or this sees it idle and wakes it.
    work_epoch_.fetch_add(1, std::memory_order_seq_cst);
    wake_idle_worker();
}

TASKKIT_DECL auto executor::wake_idle_worker() -> void {
    if (idle_.load(std::memory_order_seq_cst) == 0) return;
    {
        std::lock_guard lock(mutex_);
        if (idle_.load(std::memory_order_relaxed) <= woken_) return;
        ++woken_;
    }
    // Signalled after unlocking: the woken worker's first step is to take mutex_, and finding it
    // still held would put it back to sleep at once.
    work_cv_.notify_one();
}

TASKKIT_DECL auto executor::observes_status() const noexcept -> bool {
    return !keeps_local_ || subscriber_count_.load(std::memory_order_acquire) > 0;
}

TASKKIT_DECL auto executor::status_changed(const run_event& event) -> void {
    if (!event.local) {
        if (!keeps_local_) mirror_changed(event);
        return;
    }
    notify_subscribers(*static_cast<const run_state*>(event.local), event.status, event.attempt);
}

TASKKIT_DECL auto executor::cancel_requested(const std::shared_ptr<local_run>& run) -> void {
    auto& state = static_cast<run_state&>(*run);
    std::stop_source stop;
    {
        std::lock_guard lock(state.mutex);
        state.cancel_requested = true;  // the attempt's outcome is canceled, however its function returns
        stop = state.stop;
    }
    notify_cancel(state);  // on_cancel, while the run still executes, before its stop is requested
    stop.request_stop();
}

TASKKIT_DECL auto executor::lease_lost(const std::shared_ptr<local_run>& run, int attempt) -> void {
    auto& state = static_cast<run_state&>(*run);
    std::stop_source stop;
    {
        std::lock_guard lock(state.mutex);
        // Only the attempt that held the lease: an object that went on to a later attempt (the
        // backend granted it here once the lost one had returned) is not that attempt's to stop.
        if (state.executing_here != attempt) return;
        state.lease_lost = true;
        stop = state.stop;
    }
    stop.request_stop();
}

TASKKIT_DECL auto executor::ended_between_attempts(const std::shared_ptr<local_run>& run, const error_info& error)
    -> void {
    post([self = shared_executor(), state = std::static_pointer_cast<run_state>(run), error] {
        self->run_terminal_hooks(state, error);
    });
}

TASKKIT_DECL auto executor::resume_granted(const std::shared_ptr<local_run>& run) -> void {
    std::lock_guard lock(mutex_);
    auto it = tickets_.find(run.get());
    if (it == tickets_.end()) return;
    it->second->granted = true;
    it->second->cv.notify_one();
}

// ------------------------------------------------------------------------------------ triggering

TASKKIT_DECL auto executor::prepare(const std::shared_ptr<run_state>& run,
                                    std::shared_ptr<const task_definition_base> task, const trigger_options& options)
    -> void {
    options.validate();
    const auto& def = *task;
    const machine machine_spec = options.machine.value_or(def.machine_spec);
    if (!machine_spec.fits_in(capacity_))
        throw machine_error(fmt::format(
            "task '{}' needs a machine of {} cpu / {} GB, more than the runtime's capacity of {} cpu / {} GB; "
            "give the task a smaller machine or the runtime a larger capacity",
            def.id, machine_spec.cpu, machine_spec.memory, capacity_.cpu, capacity_.memory));
    if (!options.queue.empty() && !registry_->queue(options.queue))
        throw options_error("trigger option queue '" + options.queue +
                            "' names no declared queue: declare it with taskkit::queue or a task's .queue");
    const auto now = clock_->now();
    fix(*run, std::move(task),
        fixed_fields{
            .queue = options.queue,
            .machine_spec = machine_spec,
            .max_attempts = options.max_attempts.value_or(def.retry.max_attempts),
            .max_duration =
                (options.max_duration ? options.max_duration : def.max_duration).value_or(std::chrono::milliseconds(0)),
            .priority = options.priority,
            .created_at = now,
            .tags = options.tags,
            .concurrency_key = options.concurrency_key,
            .idempotency_key = options.idempotency_key});
    // The run is not published yet: its extras are written without the lock.
    if (options.metadata.is_object() && !options.metadata.empty()) run->extras().metadata = options.metadata;
    if (options.ttl) run->extras().expires_at = saturating_add(now, *options.ttl);
    // A debounced run waits its debounce delay (the backend moves it back if the key is held).
    const auto due = options.debounce.enabled() ? saturating_add(now, options.debounce.delay) : options.delay.due(now);
    if (due > now) {
        run->status = run_status::delayed;
        run->run_at = due;
    } else {
        run->status = run_status::queued;
    }
}

TASKKIT_DECL auto executor::fix(run_state& run, std::shared_ptr<const task_definition_base> task,
                                const fixed_fields& fields) -> void {
    run.task = std::move(task);
    run.task_id = run.task->id;
    run.runtime = weak_from_this();
    if (fields.queue.empty()) {
        run.queue_name = run.task->queue.name;
    } else {
        auto& extras = run.extras();
        extras.queue_override = std::string(fields.queue);
        run.queue_name = extras.queue_override;
    }
    run.machine_spec = fields.machine_spec;
    run.max_attempts = fields.max_attempts;
    run.max_duration = fields.max_duration;
    run.priority = fields.priority;
    run.created_at = fields.created_at;
    if (!fields.tags.empty()) run.extras().tags.assign(fields.tags.begin(), fields.tags.end());
    if (!fields.concurrency_key.empty()) run.extras().concurrency_key = std::string(fields.concurrency_key);
    if (!fields.idempotency_key.empty()) run.extras().idempotency_key = std::string(fields.idempotency_key);
}

TASKKIT_DECL auto executor::make_request(const std::shared_ptr<run_state>& run, const trigger_options& options,
                                         run_request& request, std::string& derived_key) -> void {
    // Not published yet: the fixed fields are written without the lock.
    if (current_frame && current_frame->core == this && current_frame->run)
        run->extras().parent_id = current_frame->run->id;
    const std::uint64_t n = id_counter_.fetch_add(1, std::memory_order_relaxed) + 1;
    run->id = make_id("run_", n);
    run->id_digest = run_id_digest(id_salt_, n);  // what run_id_digest(run->id) reads back, without parsing it
    const run_extras* extras = run->extras_if_any();
    request.id = run->id;
    request.task_id = run->task_id;
    request.queue = run->queue_name;
    request.concurrency_key = run->concurrency_key();
    request.priority = run->priority;
    request.created_at = run->created_at;
    request.run_at = run->run_at;
    request.expires_at = run->expires_at();
    request.idempotency_key = run->idempotency_key();
    if (!request.idempotency_key.empty())
        request.idempotency_expires_at =
            saturating_add(run->created_at, options.idempotency_key_ttl.value_or(std::chrono::hours(24 * 30)));
    // A key scoped to the parent run (the default inside a run) or to its attempt is made unique
    // there by the parent's id (and the attempt's number); global keys and triggers outside any
    // run keep the key as given.
    if (!request.idempotency_key.empty() && current_frame && current_frame->core == this && current_frame->run) {
        const auto scope = options.idempotency_scope.value_or(idempotency_scope::run);
        if (scope == idempotency_scope::run) {
            derived_key = fmt::format("taskkit:run:{}:{}", current_frame->run->id, request.idempotency_key);
            request.idempotency_key = derived_key;
        } else if (scope == idempotency_scope::attempt) {
            const int attempt = current_frame->held ? current_frame->held->attempt : 0;
            derived_key =
                fmt::format("taskkit:attempt:{}:{}:{}", current_frame->run->id, attempt, request.idempotency_key);
            request.idempotency_key = derived_key;
        }
    }
    if (options.debounce.enabled()) {
        request.debounce_key = options.debounce.key;
        request.debounce_delay = options.debounce.delay;
        request.debounce_max_delay = options.debounce.max_delay.value_or(std::chrono::milliseconds::max());
        request.debounce_mode = options.debounce.mode;
    }
    request.tags = run->tags();
    if (extras && !extras->metadata.is_null()) request.metadata = &extras->metadata;
    request.machine_spec = run->machine_spec;
    request.max_attempts = run->max_attempts;
    request.max_duration = run->max_duration;
    request.parent_id = run->parent_id();
    if (extras) request.batch_id = extras->batch_id;
    // A durable backend may execute a parent again (a new attempt after a crash): its children get
    // a key derived from the parent and their position, so the parent finds the children it
    // started instead of starting them twice.
    if (durable_ && request.idempotency_key.empty() && current_frame && current_frame->core == this &&
        current_frame->run && current_frame->held) {
        derived_key = fmt::format("taskkit:child:{}:{}", current_frame->run->id, ++current_frame->children_triggered);
        request.idempotency_key = derived_key;
        request.idempotency_expires_at = time_point::max();
    }
    request.local = run;
    if (!keeps_local_) {
        run->extras().recorder = this;
        follow(run);
    }
}

TASKKIT_DECL auto executor::answer_of(const std::shared_ptr<run_state>& run, const created_run& created)
    -> std::shared_ptr<run_state> {
    if (!created.existing) return run;
    if (created.local) return std::static_pointer_cast<run_state>(created.local);
    if (!keeps_local_) {
        unfollow(run->id);
        if (auto earlier = local(created.id)) return earlier;
    }
    throw state_error("the backend answered with run " + created.id + ", which this process cannot follow");
}

TASKKIT_DECL auto executor::commit(const std::shared_ptr<run_state>& run, const trigger_options& options)
    -> std::shared_ptr<run_state> {
    if (stopping_.load()) throw runtime_stopped_error("the runtime is shutting down: no new runs are accepted");
    run_request request;
    std::string derived_key;
    make_request(run, options, request, derived_key);
    created_run created;
    try {
        created = backend_->create(request);
    } catch (...) {
        if (!keeps_local_) unfollow(run->id);
        throw;
    }
    return answer_of(run, created);
}

TASKKIT_DECL auto executor::commit_batch(std::span<const std::shared_ptr<run_state>> runs,
                                         std::span<const trigger_options> options)
    -> std::vector<std::shared_ptr<run_state>> {
    if (runs.size() != options.size())
        throw options_error(fmt::format("a batch of {} runs came with {} trigger options: give one per run",
                                        runs.size(), options.size()));
    std::vector<std::shared_ptr<run_state>> answers;
    if (runs.empty()) return answers;
    if (stopping_.load()) throw runtime_stopped_error("the runtime is shutting down: no new runs are accepted");
    std::vector<run_request> requests(runs.size());
    std::vector<std::string> derived_keys(runs.size());  // not resized: the requests' views stay valid
    for (std::size_t i = 0; i < runs.size(); ++i) make_request(runs[i], options[i], requests[i], derived_keys[i]);
    auto unfollow_all = [&] {
        if (!keeps_local_)
            for (const auto& run : runs) unfollow(run->id);
    };
    std::vector<created_run> created;
    try {
        created = backend_->create_batch(requests);
    } catch (...) {
        unfollow_all();
        throw;
    }
    if (created.size() != runs.size()) {
        unfollow_all();
        throw state_error(fmt::format("the backend answered {} runs for a batch of {}", created.size(), runs.size()));
    }
    answers.reserve(runs.size());
    for (std::size_t i = 0; i < runs.size(); ++i) answers.push_back(answer_of(runs[i], created[i]));
    return answers;
}

TASKKIT_DECL auto executor::submit(const std::shared_ptr<run_state>& run,
                                   std::shared_ptr<const task_definition_base> task, const trigger_options& options)
    -> std::shared_ptr<run_state> {
    prepare(run, std::move(task), options);
    return commit(run, options);
}

TASKKIT_DECL auto executor::next_batch_id() -> std::string {
    return make_id("batch_", id_counter_.fetch_add(1, std::memory_order_relaxed) + 1);
}

// ------------------------------------------------------------------------------------ run control

TASKKIT_DECL auto executor::cancel(const std::shared_ptr<run_state>& run) -> bool {
    return backend_->cancel({run->id, run});
}

TASKKIT_DECL auto executor::retry(const std::shared_ptr<run_state>& run) -> void {
    if (stopping_) throw runtime_stopped_error();
    backend_->retry({run->id, run});
}

TASKKIT_DECL auto executor::replay(const std::shared_ptr<run_state>& run) -> std::shared_ptr<run_state> {
    auto copy = run->task->clone_run(*run);
    trigger_options options;
    const auto tags = run->tags();
    options.tags.assign(tags.begin(), tags.end());
    options.machine = run->machine_spec;
    options.max_attempts = run->max_attempts;
    if (run->max_duration.count() > 0) options.max_duration = run->max_duration;
    return submit(copy, run->task, options);
}

TASKKIT_DECL auto executor::reschedule(const std::shared_ptr<run_state>& run, const run_delay& delay) -> void {
    if (delay.negative()) throw options_error("reschedule: the delay must not be negative");
    backend_->reschedule({run->id, run}, delay.due(clock_->now()));
}

// ------------------------------------------------------------------------------------ waiting

TASKKIT_DECL auto executor::wait(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                                 std::optional<std::chrono::steady_clock::time_point> deadline) -> bool {
    auto satisfied = [&] { return count_ended(runs, mode); };
    if (satisfied()) return true;
    if (current_frame && current_frame->core == this) {
        std::optional<wait_notice> notice;  // on_wait now, on_resume once the run executes again
        if (current_frame->run) notice.emplace(*current_frame->run);
        auto what = describe_run_wait(runs, mode == wait_mode::any);
        if (notice && notice->wanted()) notice->begin(what);
        return wait_inside_run(runs, mode, deadline, what);
    }
    if (manual_) return drive_until(satisfied, deadline);
    return block_until(runs, mode, deadline, nullptr);
}

TASKKIT_DECL auto executor::drive_until(const std::function<bool()>& done,
                                        std::optional<std::chrono::steady_clock::time_point> deadline, bool until_idle)
    -> bool {
    for (;;) {
        if (done()) return true;
        if (deadline && std::chrono::steady_clock::now() >= *deadline) return false;
        timers_.fire_due();
        if (run_one_job()) continue;
        if (auto claimed = backend_->claim()) {
            {
                std::lock_guard lock(mutex_);
                ++executing_;
            }
            (void)execute(std::move(*claimed), false);
            finished_executing();
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

TASKKIT_DECL auto executor::run_ready() -> void {
    for (;;) {
        timers_.fire_due();
        if (run_one_job()) continue;
        auto claimed = backend_->claim();
        if (!claimed) return;
        {
            std::lock_guard lock(mutex_);
            ++executing_;
        }
        (void)execute(std::move(*claimed), false);
        finished_executing();
    }
}

TASKKIT_DECL auto executor::sleep_until(run_state& run, time_point at) -> bool {
    if (!current_frame || current_frame->run != &run || current_frame->core != this)
        throw state_error("ctx.wait_for / ctx.wait_until must be called from the run's own thread");
    if (clock_->now() >= at) return !run.stop.stop_requested();
    wait_notice notice(run);  // on_wait now, on_resume once the run executes again
    const wait_info what{.kind = wait_kind::duration, .until = at};
    if (notice.wanted()) notice.begin(what);
    // The wait is a wait on a marker that the timer ends: the same path as waiting on a child.
    auto marker = std::make_shared<alarm_state>();
    timers_.schedule(at, [weak = std::weak_ptr<run_state>(marker)] {
        if (auto m = weak.lock()) ring(*m);
    });
    wait_inside_run({marker}, wait_mode::all, std::nullopt, what);
    return marker->ended.load(std::memory_order_acquire) && !run.stop.stop_requested();
}

// ------------------------------------------------------------------------------------ subscriptions

TASKKIT_DECL auto executor::subscribe(std::function<void(const status_event&)> callback,
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

TASKKIT_DECL auto executor::watch(std::function<void(const run_update&)> callback,
                                  std::function<bool(const run_state&, run_status)> filter)
    -> std::shared_ptr<subscriber> {
    auto sub = std::make_shared<subscriber>();
    sub->on_update = std::move(callback);
    sub->filter = std::move(filter);
    std::unique_lock lock(subscribers_mutex_);
    subscribers_.push_back(sub);
    watcher_count_.fetch_add(1, std::memory_order_acq_rel);
    subscriber_count_.store(subscribers_.size(), std::memory_order_release);
    return sub;
}

TASKKIT_DECL auto executor::unsubscribe(const std::shared_ptr<subscriber>& sub) -> void {
    {
        std::lock_guard calling(sub->mutex);
        if (!sub->active) return;
        sub->active = false;
    }
    std::unique_lock lock(subscribers_mutex_);
    std::erase(subscribers_, sub);
    if (sub->on_update) watcher_count_.fetch_sub(1, std::memory_order_acq_rel);
    subscriber_count_.store(subscribers_.size(), std::memory_order_release);
}

TASKKIT_DECL auto executor::notify_subscribers(const run_state& run, run_status status, int attempt) -> void {
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
            if (sub->on_update) {
                run_update update;
                update.kind = update_kind::status;
                update.run_id = run.id;
                update.task_id = run.task_id;
                update.status = status;
                update.attempt = attempt;
                sub->on_update(update);
            } else {
                sub->callback(event);
            }
        } catch (...) {  // a subscriber's exception must not escape into a worker
        }
    }
}

TASKKIT_DECL auto executor::notify_watchers(const run_state& run, run_update update) -> void {
    if (watcher_count_.load(std::memory_order_acquire) == 0) return;
    std::vector<std::shared_ptr<subscriber>> subs;
    {
        std::shared_lock lock(subscribers_mutex_);
        subs = subscribers_;
    }
    {
        std::lock_guard lock(run.mutex);
        update.status = run.status;
        update.attempt = run.attempts_started;
    }
    update.run_id = run.id;
    update.task_id = run.task_id;
    for (auto& sub : subs) {
        if (!sub->on_update) continue;
        if (sub->filter && !sub->filter(run, update.status)) continue;
        std::lock_guard calling(sub->mutex);
        if (!sub->active) continue;
        try {
            sub->on_update(update);
        } catch (...) {  // a subscriber's exception must not escape into the run
        }
    }
}

TASKKIT_DECL auto executor::run_updated(const run_update& update) -> void {
    auto run = std::static_pointer_cast<run_state>(held_run(update.run_id));
    if (!run && watcher_count_.load(std::memory_order_acquire) > 0) {
        try {
            run = local(update.run_id);  // a mirror made from the record, for the watchers' filters
        } catch (const std::exception&) {
            return;  // a task this process does not know, or a payload it cannot decode
        }
    }
    if (!run) return;
    // A metadata change being made here reaches the backend before this state of the run replaces
    // the object's (run_extras::metadata_writes).
    std::unique_lock<std::recursive_mutex> writes;
    if (update.kind == update_kind::metadata && update.metadata) writes = std::unique_lock(run->metadata_writes());
    {
        std::lock_guard lock(run->mutex);
        auto& extras = run->extras();
        if (update.kind == update_kind::metadata && update.metadata) {
            extras.metadata = *update.metadata;
        } else if (update.kind == update_kind::stream && update.chunk) {
            auto& stream = extras.streams[std::string(update.stream)];
            if (update.index >= stream.appended()) {
                // A chunk past the next one (updates this process missed) starts the kept ones over.
                if (update.index > stream.appended()) {
                    stream.chunks.clear();
                    stream.dropped = update.index;
                }
                stream.keep(*update.chunk, max_stream_chunks_);
            }
        }
    }
    if (writes.owns_lock()) writes.unlock();
    notify_watchers(*run, update);
}

// ------------------------------------------------------------------------------------ shutdown

TASKKIT_DECL auto executor::interrupt(run_state& run) -> void {
    std::stop_source stop;
    {
        std::lock_guard lock(run.mutex);
        if ((run.status != run_status::executing && run.status != run_status::waiting) || run.cancel_requested) return;
        run.cancel_requested = true;
        stop = run.stop;
    }
    stop.request_stop();
}

TASKKIT_DECL auto executor::shutdown() -> void {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        update_chain_break_locked();
    }
    registry_->runtime_stopping(*this);  // the registry's extensions stop their timers
    // No run starts from now on; a backend whose runs end with the process cancels the ones that
    // have not started (a run a worker started meanwhile ends by its own outcome).
    backend_->shutdown();
    // Runs of this process that execute or wait, by status: waits end at once (each returns that
    // it was interrupted, and the run's stop token is requested); executing runs get the grace period.
    const auto in_flight = [this](std::vector<run_status> statuses) {
        std::vector<std::shared_ptr<run_state>> found;
        run_filter filter;
        filter.statuses = std::move(statuses);
        filter.limit = std::numeric_limits<std::size_t>::max();
        if (!keeps_local_) {  // a database lists every process's runs: take this runtime's own
            std::lock_guard lock(mirrors_mutex_);
            for (const auto& run : claimed_here_) {
                std::lock_guard run_lock(run->mutex);
                if (std::find(filter.statuses.begin(), filter.statuses.end(), run->status) != filter.statuses.end())
                    found.push_back(run);
            }
            return found;
        }
        for (const auto& record : backend_->list(filter).runs)
            if (auto local = backend_->local(record.id)) found.push_back(std::static_pointer_cast<run_state>(local));
        return found;
    };
    for (const auto& run : in_flight({run_status::waiting})) interrupt(*run);
    if (manual_) {
        drive_until([this] {
            std::lock_guard lock(mutex_);
            return jobs_.empty() && executing_ == 0;
        });
    } else {
        std::unique_lock lock(mutex_);
        const auto drained = [this] { return executing_ == 0 && jobs_.empty(); };
        const auto grace_over = deadline_after(shutdown_grace_);
        if (grace_over && !drained_cv_.wait_until(lock, *grace_over, drained)) {
            // The grace period is over: executing runs have their stop tokens requested.
            lock.unlock();
            for (const auto& run : in_flight({run_status::executing, run_status::waiting})) interrupt(*run);
            lock.lock();
        }
        drained_cv_.wait(lock, drained);
    }
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        exiting_ = true;
        update_chain_break_locked();
        threads.swap(threads_);
    }
    work_cv_.notify_all();
    park_cv_.notify_all();
    for (auto& t : threads) t.join();
    timers_.stop();
    backend_->detach();
}

// ------------------------------------------------------------------------------------ the pool

TASKKIT_DECL auto executor::post(std::function<void()> job) -> void {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
        update_chain_break_locked();  // a worker between two runs serves it
    }
    work_available();
}

TASKKIT_DECL auto executor::run_one_job() -> bool {
    std::function<void()> job;
    {
        std::lock_guard lock(mutex_);
        if (jobs_.empty()) return false;
        job = std::move(jobs_.front());
        jobs_.pop_front();
        update_chain_break_locked();
    }
    job();
    job = nullptr;
    std::lock_guard lock(mutex_);
    if (stopping_ && jobs_.empty()) drained_cv_.notify_all();
    return true;
}

TASKKIT_DECL auto executor::spawn_worker_locked() -> void {
    ++active_;
    threads_.emplace_back([this] { worker_main(); });
}

TASKKIT_DECL auto executor::block_begin_locked() -> void {
    --active_;
    update_chain_break_locked();
    if (exiting_ || active_ >= target_) return;
    if (parked_ > wake_tokens_) {
        ++wake_tokens_;
        ++active_;
        park_cv_.notify_one();
    } else {
        spawn_worker_locked();
    }
}

TASKKIT_DECL auto executor::finished_executing() -> void {
    std::lock_guard lock(mutex_);
    --executing_;
    if (stopping_ && executing_ == 0) drained_cv_.notify_all();
}

TASKKIT_DECL auto executor::report_backend_failure(std::exception_ptr failure) -> void {
    if (!log_sink_) return;
    log_entry entry;
    entry.time = clock_->now();
    entry.level = log_level::error;
    entry.message = "taskkit: the backend failed, a worker retries: " + describe_exception(failure).message;
    try {
        log_sink_(entry);
    } catch (...) {  // a throwing sink loses the line, nothing more
    }
}

TASKKIT_DECL auto executor::worker_main() -> void {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (exiting_) return;
        if (active_ > target_) {
            --active_;
            update_chain_break_locked();
            ++parked_;
            park_cv_.wait(lock, [this] { return wake_tokens_ > 0 || exiting_; });
            --parked_;
            if (exiting_) return;
            --wake_tokens_;
            update_chain_break_locked();
            continue;
        }
        if (!jobs_.empty()) {
            lock.unlock();
            run_one_job();
            lock.lock();
            continue;
        }
        const auto epoch = work_epoch_.load(std::memory_order_seq_cst);
        ++executing_;
        lock.unlock();
        // A worker goes from run to run without the pool's lock: each finish claims the next run
        // in the same trip to the backend, until nothing is claimable or the pool needs the worker.
        bool worked = false;
        bool backend_failed = false;
        try {
            for (auto claimed = backend_->claim(); claimed;) {
                // One wake-up may stand for several runs becoming claimable (a limit raised, a
                // batch due): a worker that found work passes the wake-up on, so each woken worker
                // that claims wakes the next, until one finds nothing.
                if (!worked && claimed->more_claimable) wake_idle_worker();
                worked = true;
                claimed = execute(std::move(*claimed), true);
            }
        } catch (...) {
            // The backend failed (a database busy past its timeout, a full disk): a run whose
            // finish was lost keeps its lease until it lapses, then gets a new attempt. The worker
            // reports it, backs off, and goes on; the process does not end.
            report_backend_failure(std::current_exception());
            backend_failed = true;
        }
        // Ran dry. A worker does not spin or yield here waiting for the next trigger: on a machine
        // with no more cores than threads, the thread that triggers may be the one it takes the
        // core from (measured: half the throughput at two workers on two cores).
        lock.lock();
        --executing_;
        if (stopping_ && executing_ == 0) drained_cv_.notify_all();
        if (backend_failed && !exiting_) {
            work_cv_.wait_for(lock, std::chrono::milliseconds(100));
            continue;
        }
        if (worked) continue;
        // Nothing was claimable: announce this worker idle, then look at the epoch once more (see
        // work_available), and sleep only when no work appeared meanwhile.
        idle_.fetch_add(1, std::memory_order_seq_cst);
        if (work_epoch_.load(std::memory_order_seq_cst) == epoch && jobs_.empty() && !exiting_) work_cv_.wait(lock);
        idle_.fetch_sub(1, std::memory_order_relaxed);
        if (woken_ > 0) --woken_;
    }
}

// ------------------------------------------------------------------------------------ executing

TASKKIT_DECL auto executor::make_context(run_state& run, int attempt, time_point started, std::stop_token stop) const
    -> run_context {
    const auto& def = *run.task;
    return run_context(run_info{run.id, run.parent_id(), run.tags(), run.created_at}, attempt_info{attempt, started},
                       task_info{def.id, def.description},
                       queue_info{run.queue_name, run.queue ? run.queue->limit.load(std::memory_order_relaxed) : 0,
                                  run.concurrency_key()},
                       run.machine_spec, std::move(stop),
                       logger(logger::target{&run, &log_sink_, clock_.get(), max_log_entries_, attempt}), &run,
                       const_cast<executor*>(this));
}

TASKKIT_DECL auto executor::make_env(run_state& run, int in_budget) const -> attempt_env {
    attempt_env env;
    env.attempt_in_budget = in_budget;
    env.first_attempt = in_budget == 1;
    env.random = &random_;
    env.time = clock_.get();
    env.globals = &tasks().hooks();
    env.global_points = env.globals->held_points();
    // Two pointers fit std::function's inline buffer: no allocation per attempt. The run
    // outlives the attempt, which holds a shared_ptr to it.
    env.hook_failed = [this, state = &run](std::string_view hook, error_info e) {
        e.message = fmt::format("{} threw: {}", hook, e.message);
        logger(logger::target{state, &log_sink_, clock_.get(), max_log_entries_, 0}).log(log_level::error, e.message);
        {
            std::lock_guard lock(state->mutex);
            state->extras().hook_errors.push_back(e);
        }
        // A backend that stores runs itself keeps it with the run (outside the lock: it writes).
        if (auto* recorder = state->recorder()) recorder->hook_failed(*state, e);
    };
    return env;
}

TASKKIT_DECL auto executor::execute(claimed_run claimed, bool claim_next) -> std::optional<claimed_run> {
    // The lease holds the run until the attempt is finished: the attempt reads it through a plain
    // pointer, so running it costs the run's reference count nothing.
    std::shared_ptr<run_state> mirrored;  // the object made here for a backend that keeps none
    if (!claimed.lease.run) {
        if (!claimed.record) throw state_error("the backend handed over a run without its object or its record");
        try {
            mirrored = start_mirrored(claimed);
        } catch (const std::exception&) {
            // A task this process does not define, or a payload it cannot decode: the attempt fails.
            attempt_outcome failed;
            failed.status = run_status::failed;
            failed.error = describe_exception(std::current_exception());
            return backend_->finish(claimed.lease, failed, claim_next && !chain_break_.load(std::memory_order_relaxed));
        }
        std::lock_guard lock(mirrors_mutex_);
        claimed_here_.push_back(mirrored);
    }
    run_state* const run = &static_cast<run_state&>(*claimed.lease.run);
    const int attempt = claimed.lease.attempt;
    std::stop_token stop;
    time_point started;
    std::uint64_t generation = 0;
    if (keeps_local_ && claimed.started_at) {
        // The backend started the attempt on this thread, which set the run's stop source (nothing
        // assigns it while the attempt runs), and its lease token is the run's generation.
        stop = run->stop.get_token();
        started = *claimed.started_at;
        generation = claimed.lease.token;
    } else {
        std::lock_guard lock(run->mutex);
        stop = run->stop.get_token();
        started = run->attempts.empty() ? clock_->now() : run->attempts.back().started_at;
        generation = run->generation;
    }
    if (run->max_duration.count() > 0) {
        timers_.schedule(saturating_add(started, run->max_duration),
                         run_timer{.run = std::static_pointer_cast<run_state>(claimed.lease.run),
                                   .generation = generation,
                                   .attempt = attempt,
                                   .what = run_timer::kind::max_duration_over});
    }

    exec_frame frame{this, run, current_frame, current_frame ? current_frame->depth + 1 : 0, &claimed.lease};
    current_frame = &frame;
    auto ctx = make_context(*run, attempt, started, stop);
    const attempt_result result = execute_attempt(*run->task, *run, ctx, make_env(*run, claimed.attempt_in_budget));
    current_frame = frame.previous;

    attempt_outcome outcome;
    outcome.status = result.next;
    outcome.error = result.error;
    if (result.retry_delay) outcome.retry_at = saturating_add(clock_->now(), *result.retry_delay);
    outcome.interrupted = stopping_.load() && result.next == run_status::canceled;
    if (!keeps_local_) {
        {
            std::lock_guard lock(run->mutex);
            if (result.next == run_status::completed) outcome.output = run->output_json_locked();
            if (run->executing_here == attempt) run->executing_here = 0;  // a lost lease stops no other
        }
        std::lock_guard lock(mirrors_mutex_);
        std::erase(claimed_here_, mirrored);
    }
    return backend_->finish(claimed.lease, outcome, claim_next && !chain_break_.load(std::memory_order_relaxed));
}

TASKKIT_DECL auto executor::run_terminal_hooks(const std::shared_ptr<run_state>& run, const error_info& error) -> void {
    int attempt = 0;
    int in_budget = 1;
    std::stop_token stop;
    {
        std::lock_guard lock(run->mutex);
        attempt = run->attempts_started;
        in_budget = attempt - run->budget_start;
        stop = run->stop.get_token();
    }
    exec_frame frame{this, run.get(), current_frame, current_frame ? current_frame->depth + 1 : 0, nullptr};
    current_frame = &frame;
    auto ctx = make_context(*run, attempt, clock_->now(), stop);
    detail::run_terminal_hooks(*run->task, *run, ctx, error, make_env(*run, in_budget));
    current_frame = frame.previous;
}

TASKKIT_DECL auto executor::stop_overrunning(const run_timer& timer) -> void {
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

// ------------------------------------------------------------------------------------ waits

TASKKIT_DECL auto executor::count_ended(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode) -> bool {
    std::size_t ended = 0;
    for (const auto& run : runs)
        if (run->ended.load(std::memory_order_acquire)) ++ended;
    return mode == wait_mode::all ? ended == runs.size() : (ended > 0 || runs.empty());
}

TASKKIT_DECL auto executor::block_until(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
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

TASKKIT_DECL auto executor::take_slot_back(const lease& held) -> void {
    resume_ticket ticket;
    {
        std::lock_guard lock(mutex_);
        tickets_[held.run.get()] = &ticket;
    }
    struct forget {
        executor& self;
        const local_run* run;
        ~forget() {
            std::lock_guard lock(self.mutex_);
            self.tickets_.erase(run);
        }
    } const cleanup{*this, held.run.get()};
    if (backend_->resume(held)) return;
    if (manual_) {
        drive_until([&] {
            std::lock_guard lock(mutex_);
            return ticket.granted;
        });
        return;
    }
    std::unique_lock lock(mutex_);
    block_begin_locked();
    ticket.cv.wait(lock, [&] { return ticket.granted; });
    block_end_locked();
}

TASKKIT_DECL auto executor::wait_inside_run(const std::vector<std::shared_ptr<run_state>>& runs, wait_mode mode,
                                            std::optional<std::chrono::steady_clock::time_point> deadline,
                                            const wait_info& what, std::string_view token) -> bool {
    auto self_run = current_frame->run;
    const lease* held = current_frame->held;
    auto satisfied = [&] { return count_ended(runs, mode); };
    // A wait that starts during shutdown returns at once, interrupted (shutdown wakes the others).
    if (stopping_) interrupt(*self_run);
    std::stop_token stop;
    {
        std::lock_guard lock(self_run->mutex);
        stop = self_run->stop.get_token();
        self_run->extras().waiting_for = what;  // the record shows it until the run executes again
    }
    // Cleared on every way out (satisfied, timed out, canceled, or an exception of the backend).
    struct clear_waiting_for {
        run_state& run;
        ~clear_waiting_for() {
            std::lock_guard lock(run.mutex);
            if (auto* e = run.extras_if_any()) e->waiting_for.reset();
        }
    } const clear{*self_run};
    if (held) {
        // A backend that keeps the local runs has them already; another one is told their ids.
        std::vector<std::shared_ptr<local_run>> awaited;
        if (!backend_->traits().keeps_local_runs) awaited.assign(runs.begin(), runs.end());
        backend_->suspend(*held, wait_spec{awaited, mode == wait_mode::any, std::nullopt, token, &what});
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
        std::optional<claimed_run> inline_run;
        for (const auto& run : runs) {
            if (!run->ended.load(std::memory_order_acquire) && run->runtime.lock().get() == this &&
                (inline_run = backend_->claim(run)))
                break;
        }
        if (!inline_run) break;
        {
            std::lock_guard lock(mutex_);
            ++executing_;
        }
        (void)execute(std::move(*inline_run), false);
        finished_executing();
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
    if (held) take_slot_back(*held);
    return ok;
}

TASKKIT_DECL auto executor::make_id(std::string_view prefix, std::uint64_t n) const -> std::string {
    return format_id(prefix, id_salt_, n);
}

}  // namespace taskkit::detail
