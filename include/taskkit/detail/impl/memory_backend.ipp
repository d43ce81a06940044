/// @file detail/impl/memory_backend.ipp
/// The definitions of what <taskkit/detail/memory_backend.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/src.hpp>.
#pragma once

#include <taskkit/detail/memory_backend.hpp>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include <taskkit/detail/exception_info.hpp>
#include <taskkit/detail/run_index.hpp>
#include <taskkit/detail/time_math.hpp>
#include <taskkit/error.hpp>
#include <taskkit/registry.hpp>

namespace taskkit::detail {

/// The run_state a local_run of this process is.
inline run_state& state_of(local_run& run) { return static_cast<run_state&>(run); }
inline std::shared_ptr<run_state> state_of(const std::shared_ptr<local_run>& run) {
    return std::static_pointer_cast<run_state>(run);
}

TASKKIT_DECL memory_backend::memory_backend(memory_backend_options options) : options_(options) {}

TASKKIT_DECL memory_backend::~memory_backend() = default;

TASKKIT_DECL auto memory_backend::traits() const noexcept -> backend_traits {
    return backend_traits{.keeps_local_runs = true, .durable = false};
}

TASKKIT_DECL auto memory_backend::attach(backend_host& host) -> void {
    local_host_ = dynamic_cast<in_process_host*>(&host);
    if (!local_host_) throw options_error("the memory backend serves a taskkit::runtime in its own process only");
    host_ = &host;
    detached_.store(false, std::memory_order_release);
    timers_ = &local_host_->timers();
    status_observers_ = &local_host_->status_observers();
    clock_ = host.time();
    virtual_time_ = dynamic_cast<const virtual_clock*>(clock_.get()) != nullptr;
    registry_ = &host.tasks();
    capacity_ = host.capacity();
    local_host_->on_run_timers([this](const run_timer& timer) { on_run_timer(timer); });
}

TASKKIT_DECL auto memory_backend::detach() -> void {
    // The pointers stay (a trigger racing shutdown may still read them; the runtime outlives every
    // call it makes): from now on nothing is reported to the host.
    detached_.store(true, std::memory_order_release);
}

TASKKIT_DECL auto memory_backend::scheduler_lock::release() -> void {
    if (!lock_.owns_lock()) return;
    // A wake-up is owed only for work still there: the thread that made a run claimable often
    // took it itself in the same critical section (a finish that freed the slot of a queue with a
    // limit claims the run the slot goes to), and waking an idle worker for it costs a system call
    // and a context switch for nothing.
    const bool wake = std::exchange(self_.work_owed_, false) && self_.claimable_locked();
    if (self_.granted_.empty()) {  // no waiting run was granted its slot back: the common case
        lock_.unlock();
        if (wake)
            if (auto* host = self_.host()) host->work_available();
        return;
    }
    auto granted = std::move(self_.granted_);
    self_.granted_.clear();
    lock_.unlock();
    for (auto& run : granted) {
        self_.resumed(run);
        if (auto* host = self_.host()) host->resume_granted(run);
    }
    if (auto* host = self_.host(); wake && host) host->work_available();
}

// ------------------------------------------------------------------------------------ records

TASKKIT_DECL auto memory_backend::hold(const std::shared_ptr<run_state>& run) -> void {
    // Before the run is published: retire() reads the digest later without recomputing it. The
    // runtime sets it when it makes the id; a run with an id from elsewhere gets it here.
    if (run->id_digest == 0) run->id_digest = run_id_digest(run->id);
    std::lock_guard lock(store_mutex_);
    runs_.insert(run->id_digest, run);
}

TASKKIT_DECL auto memory_backend::held(std::string_view id) const -> std::shared_ptr<run_state> {
    const auto digest = run_id_digest(id);
    std::lock_guard lock(store_mutex_);
    const auto* found = runs_.find(digest, [&](const run_state& r) { return r.id == id; });
    return found ? *found : nullptr;
}

TASKKIT_DECL auto memory_backend::retire(const std::shared_ptr<run_state>& run) -> void {
    const auto digest = run->id_digest;
    std::shared_ptr<run_state> forgotten;  // released after unlocking: it may be the last reference
    std::lock_guard lock(store_mutex_);
    finished_.push_back(finished_entry{digest, run.get(), run->generation.load()});
    if (finished_.size() <= options_.retained_finished) return;
    const auto oldest = finished_.front();
    finished_.pop_front();
    // The address is only compared before it is followed: the index holds the live runs. A run
    // queued again by retry() since (a new generation) is unfinished again, or finished later with
    // an entry of its own: it stays.
    forgotten = runs_.take(oldest.digest, [&](const run_state& r) {
        return &r == oldest.run && r.generation.load() == oldest.generation && r.ended.load();
    });
}

TASKKIT_DECL auto memory_backend::size() const -> std::size_t {
    std::lock_guard lock(store_mutex_);
    return runs_.size();
}

TASKKIT_DECL auto memory_backend::local(std::string_view run_id) const -> std::shared_ptr<local_run> {
    return held(run_id);
}

TASKKIT_DECL auto memory_backend::find(std::string_view run_id) const -> std::optional<run_record> {
    if (auto run = held(run_id)) return run->snapshot();
    return std::nullopt;
}

TASKKIT_DECL auto memory_backend::list(const run_filter& filter) const -> run_page {
    std::vector<std::shared_ptr<run_state>> matched;
    {
        std::lock_guard lock(store_mutex_);
        runs_.for_each([&](const std::shared_ptr<run_state>& run) {
            if (filter.matches(run->facts(), run->current_status())) matched.push_back(run);
        });
    }
    auto newer = [](const auto& a, const auto& b) {
        return a->created_at != b->created_at ? a->created_at > b->created_at : a->id > b->id;
    };
    std::sort(matched.begin(), matched.end(), newer);
    // The cursor is "<creation time in ns>:<id>" of the last run of the previous page, so paging
    // stays right when runs come and go between pages.
    auto it = matched.begin();
    if (!filter.cursor.empty()) {
        const auto cursor = page_cursor::parse(filter.cursor);
        it = std::find_if(matched.begin(), matched.end(),
                          [&](const auto& run) { return cursor.before(run->created_at, run->id); });
    }
    run_page page;
    const std::size_t limit = std::max<std::size_t>(1, filter.limit);
    for (; it != matched.end() && page.runs.size() < limit; ++it) page.runs.push_back((*it)->snapshot());
    if (it != matched.end() && !page.runs.empty()) page.next_cursor = page_cursor::of(page.runs.back()).to_string();
    return page;
}

// ------------------------------------------------------------------------------------ events

TASKKIT_DECL auto memory_backend::note_change_locked(run_state& run, run_status status, int attempt) const
    -> std::optional<noted_change> {
    if (!run.publishing) {
        // No subscriber: no event, so no order to keep, and no second trip to the run's lock.
        // The host observes status events while it has subscribers (read here without a call).
        if (detached_.load(std::memory_order_acquire) || status_observers_->load(std::memory_order_acquire) == 0)
            return noted_change{status, attempt, true};
        run.publishing = true;
        return noted_change{status, attempt};
    }
    run.extras().unpublished.push_back(noted_change{status, attempt});
    return std::nullopt;
}

TASKKIT_DECL auto memory_backend::deliver(const std::shared_ptr<run_state>& run, std::optional<noted_change> change)
    -> void {
    if (change && change->quiet) {
        if (is_terminal(change->status)) retire(run);
        return;
    }
    while (change) {
        if (is_terminal(change->status)) retire(run);
        if (auto* host = this->host())
            host->status_changed(run_event{run->id, run->task_id, change->status, change->attempt, run.get()});
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

TASKKIT_DECL auto memory_backend::end_locked(run_state& run, run_status status, std::optional<error_info> error,
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

TASKKIT_DECL auto memory_backend::finish_publish(const std::shared_ptr<run_state>& run,
                                                 std::vector<std::function<void()>>& callbacks,
                                                 std::optional<noted_change> change) -> void {
    run->ended.notify_all();
    for (auto& callback : callbacks) callback();
    deliver(run, change);
}

// ------------------------------------------------------------------------------------ creating runs

TASKKIT_DECL auto memory_backend::create(const run_request& request) -> created_run {
    auto run = state_of(request.local);
    if (stopping_.load()) throw runtime_stopped_error("the runtime is shutting down: no new runs are accepted");
    if (request.idempotency_key.empty() && request.debounce_key.empty()) {
        commit_new(run);
        return created_run{};  // the caller's run: it knows its id and holds it
    }
    std::string key;
    std::lock_guard lock(idempotency_mutex_);
    if (!request.idempotency_key.empty()) {
        key.reserve(request.task_id.size() + 1 + request.idempotency_key.size());
        key.append(request.task_id).append(1, '\n').append(request.idempotency_key);
        if (auto it = idempotency_.find(key); it != idempotency_.end()) {
            auto earlier = it->second.run.lock();
            if (earlier && clock_->now() < it->second.expires_at) {
                const auto status = earlier->current_status();
                const bool released = status == run_status::failed || status == run_status::canceled ||
                                      status == run_status::timed_out || status == run_status::expired ||
                                      status == run_status::crashed;
                if (!released) return created_run{earlier->id, true, earlier};
            }
            idempotency_.erase(it);
        }
    }
    if (!request.debounce_key.empty()) {
        // Under idempotency_mutex_: triggers with one key from several threads see each other.
        std::string debounce_key;
        debounce_key.append(request.task_id).append(1, '\n').append(request.debounce_key);
        auto it = debounce_.find(debounce_key);
        if (it != debounce_.end()) {
            if (auto held = it->second.lock(); held && join_debounced(held, *run, request)) {
                if (!key.empty())  // the idempotency key answers with the debounced run from now on
                    idempotency_.insert_or_assign(std::move(key),
                                                  idempotency_entry{held, request.idempotency_expires_at});
                created_run joined{held->id, true, held};
                joined.debounced = true;
                return joined;
            }
        }
        commit_new(run);
        if (it != debounce_.end()) {
            it->second = run;  // a new window
        } else {
            if (debounce_.size() >= debounce_swept_at_) {  // forget the keys of runs nobody holds
                std::erase_if(debounce_, [](const auto& entry) { return entry.second.expired(); });
                debounce_swept_at_ = std::max<std::size_t>(64, debounce_.size() * 2);
            }
            debounce_.emplace(std::move(debounce_key), run);
        }
    } else {
        commit_new(run);
    }
    if (!key.empty()) idempotency_.emplace(std::move(key), idempotency_entry{run, request.idempotency_expires_at});
    return created_run{};
}

TASKKIT_DECL auto memory_backend::join_debounced(const std::shared_ptr<run_state>& held, run_state& run,
                                                 const run_request& request) -> bool {
    time_point due;
    std::uint64_t generation = 0;
    std::optional<noted_change> change;
    {
        // The run is delayed, so no attempt reads its payload: trailing replaces it here, under
        // the lock that release_delayed takes before the run can be claimed.
        std::lock_guard lock(held->mutex);
        if (held->status != run_status::delayed) return false;  // started, queued or ended: a new window
        due = std::min(saturating_add(request.created_at, request.debounce_delay),
                       saturating_add(held->created_at, request.debounce_max_delay));
        held->run_at = due;
        generation = ++held->generation;  // the timer armed for the earlier due time does nothing
        if (request.debounce_mode == debounce_mode::trailing) held->take_payload_locked(run);
        change = note_change_locked(*held, run_status::delayed, 0);  // its start moved, as for a reschedule
    }
    deliver(held, change);
    arm_delay(held, due, generation);
    return true;
}

TASKKIT_DECL auto memory_backend::commit_new(const std::shared_ptr<run_state>& run) -> void {
    // The run is this thread's alone until it is held: what commit needs of it later is read now
    // (a ttl timer or a cancel by id may change it as soon as it is published).
    const bool delayed = run->status == run_status::delayed;
    const time_point due = run->run_at.value_or(time_point{});
    const auto expires_at = run->expires_at();
    std::shared_ptr<run_state> parent;
    bool parent_canceled = false;
    if (const auto parent_id = run->parent_id(); !parent_id.empty()) parent = held(parent_id);
    if (parent) {
        // Under the parent's lock, where a cancel reads its children: a child is either seen by the
        // cancel's cascade or sees the cancel here; a canceled run's children never start.
        std::lock_guard lock(parent->mutex);
        auto& family = parent->extras();
        family.children.push_back(run);
        family.child_ids.push_back(run->id);
        parent_canceled = parent->cancel_requested;
    }
    hold(run);
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
    if (expires_at) timers_->schedule(*expires_at, run_timer{.run = run, .what = run_timer::kind::ttl_over});
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

TASKKIT_DECL auto memory_backend::arm_delay(const std::shared_ptr<run_state>& run, time_point due,
                                            std::uint64_t generation) -> void {
    timers_->schedule(due, run_timer{.run = run, .generation = generation, .what = run_timer::kind::delay_over});
}

// ------------------------------------------------------------------------------------ queues and slots

TASKKIT_DECL auto memory_backend::queue_for_locked(std::string_view name, const queue_options& task_queue)
    -> queue_state* {
    // Runs mostly come in streaks on one queue: the last queue found is compared first (its name is
    // its own, so the comparison never reads a string that may be gone).
    if (last_queue_ && last_queue_->name == name) return last_queue_;
    auto it = queues_.find(name);
    if (it != queues_.end()) return last_queue_ = it->second.get();
    queue_options options = registry_->queue(name).value_or(task_queue);
    options.name = std::string(name);
    auto q = std::make_unique<queue_state>(options);
    auto* raw = q.get();
    queues_.emplace(name, std::move(q));
    return last_queue_ = raw;
}

TASKKIT_DECL auto memory_backend::known_queue_locked(std::string_view name) -> queue_state& {
    if (auto it = queues_.find(name); it != queues_.end()) return *it->second;
    auto declared = registry_->queue(name);
    if (!declared) throw unknown_queue_error(name);
    return *queue_for_locked(name, *declared);
}

TASKKIT_DECL auto memory_backend::pause_queue(std::string_view name, bool paused) -> void {
    scheduler_lock lock(*this);
    queue_state& q = known_queue_locked(name);
    if (q.paused == paused) return;
    q.paused = paused;
    // Its keys stay in its rotation while it is paused; resuming puts it back in the ready list.
    if (!paused) refresh_queue_locked(q);
}

TASKKIT_DECL auto memory_backend::set_queue_limit(std::string_view name, std::optional<int> limit) -> void {
    if (limit && *limit < 1)
        throw options_error("queue '" + std::string(name) + "': a concurrency limit must be at least 1, got " +
                            std::to_string(*limit));
    scheduler_lock lock(*this);
    queue_state& q = known_queue_locked(name);
    q.limit.store(limit.value_or(q.declared_limit), std::memory_order_relaxed);
    q.limit_overridden = limit.has_value();
    // A raised limit lets keys that were full start runs now; a lowered one lets executing runs
    // finish (claims check the limit).
    q.keys.for_each([&](const std::shared_ptr<key_state>& k) { refresh_key_locked(q, *k); });
}

TASKKIT_DECL auto memory_backend::queues() const -> std::vector<queue_stats> {
    std::map<std::string, queue_stats, std::less<>> by_name;
    auto stats_of = [](const queue_options& o) {
        return queue_stats{.name = o.name,
                           .limit = o.concurrency_limit,
                           .declared_limit = o.concurrency_limit,
                           .total_limit = o.total_concurrency_limit,
                           .rate = o.rate_limit,
                           .key_rate = o.key_rate_limit};
    };
    for (const auto& declared : registry_->queues()) by_name.emplace(declared.name, stats_of(declared));
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, q] : queues_) {
            auto& stats = by_name.try_emplace(name).first->second;
            stats.name = name;
            stats.limit = q->limit.load(std::memory_order_relaxed);
            stats.declared_limit = q->declared_limit;
            stats.limit_overridden = q->limit_overridden;
            stats.total_limit = q->total_limit;
            stats.paused = q->paused;
            stats.key_rate = q->key_rate;
        }
    }
    // The counts come from the runs' statuses (no counter on the hot path keeps them).
    std::map<std::string, std::map<std::string, queue_key_stats, std::less<>>, std::less<>> keys;
    {
        std::lock_guard lock(store_mutex_);
        runs_.for_each([&](const std::shared_ptr<run_state>& run) {
            const run_status status = run->current_status();
            if (status != run_status::queued && status != run_status::executing && status != run_status::waiting)
                return;
            auto it = by_name.find(run->queue_name);
            if (it == by_name.end()) it = by_name.emplace(std::string(run->queue_name), queue_stats{}).first;
            queue_stats& q = it->second;
            q.name = it->first;
            const int queued = status == run_status::queued ? 1 : 0;
            const int executing = status == run_status::executing ? 1 : 0;
            q.queued += queued;
            q.executing += executing;
            q.waiting += status == run_status::waiting ? 1 : 0;
            if (const auto key = run->concurrency_key(); !key.empty() && (queued || executing)) {
                auto& per_key = keys[it->first];
                auto k = per_key.find(key);
                if (k == per_key.end())
                    k = per_key.emplace(std::string(key), queue_key_stats{.key = std::string(key)}).first;
                k->second.queued += queued;
                k->second.executing += executing;
            }
        });
    }
    std::vector<queue_stats> out;
    out.reserve(by_name.size());
    for (auto& [name, q] : by_name) {
        if (auto k = keys.find(name); k != keys.end())
            for (auto& [key, stats] : k->second) q.keys.push_back(std::move(stats));
        out.push_back(std::move(q));
    }
    return out;
}

TASKKIT_DECL auto memory_backend::free_locked() const noexcept -> machine {
    return machine{capacity_.cpu - used_.cpu, capacity_.memory - used_.memory};
}

TASKKIT_DECL auto memory_backend::take_machine_locked(const machine& m) -> void {
    used_.cpu += m.cpu;
    used_.memory += m.memory;
}

TASKKIT_DECL auto memory_backend::refresh_key_locked(queue_state& q, key_state& k) -> void {
    if (k.in_rotation || k.pending.empty() || !q.key_has_slot(k) || k.resumers_waiting > 0) return;
    if (k.rate && !k.rate->allows(clock_->now())) {
        arm_key_rate_timer_locked(q, k);
        return;
    }
    k.in_rotation = true;
    q.rotation.push_back(&k);
    refresh_queue_locked(q);
}

TASKKIT_DECL auto memory_backend::refresh_queue_locked(queue_state& q) -> void {
    if (q.paused || q.in_ready || q.rotation.empty() || !q.total_has_slot()) return;
    if (q.rate && !q.rate->allows(clock_->now())) {
        arm_queue_rate_timer_locked(q);
        return;
    }
    q.in_ready = true;
    ready_.push_back(&q);
    work_owed_ = true;
}

TASKKIT_DECL auto memory_backend::arm_key_rate_timer_locked(queue_state& q, key_state& k) -> void {
    if (k.rate_timer_armed) return;
    k.rate_timer_armed = true;
    // The backend outlives its timers: the runtime stops its timer queue before it lets the
    // backend go (and a queue's keys live as long as the backend).
    timers_->schedule(k.rate->next_allowed(), [this, qp = &q, kp = &k] {
        scheduler_lock lock(*this);
        kp->rate_timer_armed = false;
        refresh_key_locked(*qp, *kp);
    });
}

TASKKIT_DECL auto memory_backend::arm_queue_rate_timer_locked(queue_state& q) -> void {
    if (q.rate_timer_armed) return;
    q.rate_timer_armed = true;
    timers_->schedule(q.rate->next_allowed(), [this, qp = &q] {
        scheduler_lock lock(*this);
        qp->rate_timer_armed = false;
        refresh_queue_locked(*qp);
    });
}

TASKKIT_DECL auto memory_backend::maybe_forget_key_locked(queue_state& q, key_state& k) -> void {
    if (k.key.empty() || !k.pending.empty() || k.running > 0 || k.resumers_waiting > 0 || k.in_rotation ||
        k.rate_timer_armed)
        return;
    if (k.rate && !k.rate->quiet(clock_->now())) return;  // its recent starts still count
    q.forget(k);
}

TASKKIT_DECL auto memory_backend::key_of_locked(run_state& run) -> key_state& {
    // A delayed run rescheduled while its trigger was still being committed may get here first.
    if (!run.queue) run.queue = queue_for_locked(run.queue_name, run.task->queue);
    run.key = &run.queue->key(run.concurrency_key());
    return *run.key;
}

TASKKIT_DECL auto memory_backend::enqueue(const std::shared_ptr<run_state>& run) -> void {
    scheduler_lock lock(*this);
    push_pending_locked(run, key_of_locked(*run));
}

TASKKIT_DECL auto memory_backend::push_pending_locked(const std::shared_ptr<run_state>& run, key_state& k) -> void {
    run->queue_token = ++queue_tokens_;
    k.pending.push(pending_entry{run->rank(), run->queue_token, run});
    refresh_key_locked(*run->queue, k);
}

TASKKIT_DECL auto memory_backend::record_start_locked(queue_state& q, key_state& k) -> void {
    if (!q.rate && !k.rate) return;
    const auto now = clock_->now();
    if (q.rate) q.rate->record(now);
    if (k.rate) k.rate->record(now);
}

TASKKIT_DECL auto memory_backend::next_locked(std::shared_ptr<run_state>& out) -> bool {
    if (!direct_.empty()) {
        out = std::move(direct_.front());
        direct_.pop_front();
        return true;
    }
    if (stopping_) return false;  // shutdown: queued runs are canceled, never started
    while (!ready_.empty()) {
        queue_state& q = *ready_.front();
        ready_.pop_front();
        q.in_ready = false;
        if (q.paused) continue;             // back in the ready list when it is resumed
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
            out = std::move(run);
            return true;
        }
        refresh_queue_locked(q);
    }
    return false;
}

TASKKIT_DECL auto memory_backend::take_locked(const std::shared_ptr<run_state>& run) -> bool {
    queue_state* q = run->queue;
    key_state* k = run->key;
    if (stopping_ || !q || !k || q->paused || run->queue_token == 0 || !q->key_has_slot(*k) || !q->total_has_slot() ||
        k->resumers_waiting > 0 || !run->machine_spec.fits_in(free_locked()))
        return false;
    if ((q->rate && !q->rate->allows(clock_->now())) || (k->rate && !k->rate->allows(clock_->now()))) return false;
    run->queue_token = 0;  // its heap entry is now stale
    ++k->running;
    ++q->running;
    record_start_locked(*q, *k);
    take_machine_locked(run->machine_spec);
    return true;
}

TASKKIT_DECL auto memory_backend::release_locked(run_state& run) -> void {
    queue_state& q = *run.queue;
    key_state& k = *run.key;
    --k.running;
    --q.running;
    used_.cpu -= run.machine_spec.cpu;
    used_.memory -= run.machine_spec.memory;
    grant_resumers_locked();
    while (!machine_waiters_.empty() && machine_waiters_.front()->machine_spec.fits_in(free_locked())) {
        take_machine_locked(machine_waiters_.front()->machine_spec);
        direct_.push_back(std::move(machine_waiters_.front()));
        machine_waiters_.pop_front();
        work_owed_ = true;
    }
    refresh_key_locked(q, k);
    refresh_queue_locked(q);
    maybe_forget_key_locked(q, k);
}

TASKKIT_DECL auto memory_backend::grant_resumers_locked() -> void {
    for (auto it = resumers_.begin(); it != resumers_.end();) {
        auto& run = *it;
        queue_state& q = *run->queue;
        key_state& k = *run->key;
        if (q.can_resume(k) && run->machine_spec.fits_in(free_locked())) {
            ++k.running;
            ++q.running;
            take_machine_locked(run->machine_spec);
            --k.resumers_waiting;
            granted_.push_back(std::move(run));
            it = resumers_.erase(it);
            refresh_key_locked(q, k);
        } else {
            ++it;
        }
    }
}

// ------------------------------------------------------------------------------------ claiming

TASKKIT_DECL auto memory_backend::start(const std::shared_ptr<run_state>& run, time_point now)
    -> std::optional<claimed_run> {
    claimed_run claimed;
    std::optional<noted_change> change;
    {
        std::lock_guard lock(run->mutex);
        if (run->status != run_status::queued) return std::nullopt;  // canceled or expired on the way
        run->status = run_status::executing;
        const int attempt = ++run->attempts_started;
        run->attempts.push_back(attempt_record{attempt, now, std::nullopt, std::nullopt});
        if (!run->started_at) run->started_at = now;
        run->run_at.reset();
        if (!run->stop.stop_possible()) run->stop = std::stop_source();
        claimed.lease.attempt = attempt;
        claimed.lease.token = run->generation;
        claimed.started_at = now;
        claimed.attempt_in_budget = attempt - run->budget_start;
        change = note_change_locked(*run, run_status::executing, attempt);
    }
    claimed.lease.run = run;
    deliver(run, change);
    return claimed;
}

TASKKIT_DECL auto memory_backend::claim_next(std::shared_ptr<run_state> first, time_point now)
    -> std::optional<claimed_run> {
    for (auto run = std::move(first); run;) {
        if (auto claimed = start(run, now)) return claimed;
        scheduler_lock lock(*this);  // it was canceled on the way: its slot goes to the next run
        release_locked(*run);
        run.reset();
        next_locked(run);
    }
    return std::nullopt;
}

TASKKIT_DECL auto memory_backend::claim() -> std::optional<claimed_run> {
    std::shared_ptr<run_state> run;
    bool more = false;
    {
        scheduler_lock lock(*this);
        if (!next_locked(run)) return std::nullopt;
        more = claimable_locked();
    }
    auto claimed = claim_next(std::move(run), clock_->now());
    if (claimed) claimed->more_claimable = more;
    return claimed;
}

TASKKIT_DECL auto memory_backend::claim(const std::shared_ptr<local_run>& wanted) -> std::optional<claimed_run> {
    auto run = state_of(wanted);
    if (run->ended.load(std::memory_order_acquire)) return std::nullopt;
    {
        scheduler_lock lock(*this);
        if (!take_locked(run)) return std::nullopt;
    }
    if (auto claimed = start(run, clock_->now())) return claimed;
    scheduler_lock lock(*this);
    release_locked(*run);
    return std::nullopt;
}

TASKKIT_DECL auto memory_backend::finish(const lease& held, const attempt_outcome& outcome, bool claim_next_run)
    -> std::optional<claimed_run> {
    auto run = state_of(held.run);
    const auto now = clock_->now();
    std::vector<std::function<void()>> callbacks;
    run_status status = outcome.status;
    bool canceled_instead = false;
    std::uint64_t generation = 0;
    time_point due{};
    std::optional<noted_change> change;
    {
        std::lock_guard lock(run->mutex);
        auto& record = run->attempts.back();
        record.finished_at = now;
        if (outcome.error) record.error = outcome.error;
        if (status == run_status::retrying && (run->cancel_requested || stopping_.load())) {
            status = run_status::canceled;  // canceled between the attempt and now, or shutting down
            canceled_instead = true;
        }
        if (status == run_status::retrying) {
            run->status = run_status::retrying;
            due = outcome.retry_at.value_or(now);
            run->run_at = due;
            generation = run->generation;
            change = note_change_locked(*run, status, held.attempt);
        } else if (canceled_instead) {
            change = end_locked(*run, status, make_error_info<canceled_error>(), callbacks, now);
        } else {
            change = end_locked(*run, status, outcome.error, callbacks, now);
        }
    }
    if (status == run_status::retrying) {
        deliver(run, change);
        timers_->schedule(due, run_timer{.run = run, .generation = generation, .what = run_timer::kind::retry_due});
    } else {
        finish_publish(run, callbacks, change);
        if (auto* host = this->host(); canceled_instead && host)
            host->ended_between_attempts(run, make_error_info<canceled_error>());
    }
    // One critical section gives the slot back and takes the next run.
    std::shared_ptr<run_state> next;
    {
        scheduler_lock lock(*this);
        release_locked(*run);
        if (claim_next_run) next_locked(next);
    }
    if (!next) return std::nullopt;
    // On a real clock the next attempt starts when this one ended (one clock read serves both). A
    // virtual clock may have jumped meanwhile (a test advancing it released the next run — this
    // very run, retrying after a delay — while this finish ran): its start is read again.
    return claim_next(std::move(next), virtual_time_ ? clock_->now() : now);
}

TASKKIT_DECL auto memory_backend::renew(const lease& held) -> lease_state {
    auto& run = state_of(*held.run);
    std::lock_guard lock(run.mutex);
    return run.cancel_requested ? lease_state::cancel_requested : lease_state::held;
}

// ------------------------------------------------------------------------------------ waits

TASKKIT_DECL auto memory_backend::suspend(const lease& held, const wait_spec&) -> void {
    auto run = state_of(held.run);
    std::optional<noted_change> change;
    {
        std::lock_guard lock(run->mutex);
        run->status = run_status::waiting;
        change = note_change_locked(*run, run_status::waiting, held.attempt);
    }
    deliver(run, change);
    scheduler_lock lock(*this);
    release_locked(*run);
}

TASKKIT_DECL auto memory_backend::resume(const lease& held) -> bool {
    auto run = state_of(held.run);
    {
        scheduler_lock lock(*this);
        queue_state& q = *run->queue;
        key_state& k = key_of_locked(*run);
        if (!(q.can_resume(k) && k.resumers_waiting == 0 && run->machine_spec.fits_in(free_locked()))) {
            resumers_.push_back(run);  // served before any new run of its queue
            ++k.resumers_waiting;
            return false;
        }
        ++k.running;
        ++q.running;
        take_machine_locked(run->machine_spec);
    }
    resumed(run);
    return true;
}

TASKKIT_DECL auto memory_backend::resumed(const std::shared_ptr<run_state>& run) -> void {
    std::optional<noted_change> change;
    {
        std::lock_guard lock(run->mutex);
        run->status = run_status::executing;
        change = note_change_locked(*run, run_status::executing, run->attempts_started);
    }
    deliver(run, change);
}

// ------------------------------------------------------------------------------------ control

TASKKIT_DECL auto memory_backend::target_run(const run_target& target) const -> std::shared_ptr<run_state> {
    if (target.local) return std::static_pointer_cast<run_state>(target.local);
    return held(target.id);
}

TASKKIT_DECL auto memory_backend::cancel(const run_target& target) -> bool {
    auto run = target_run(target);
    return run && cancel_run(run);
}

TASKKIT_DECL auto memory_backend::cancel_run(const std::shared_ptr<run_state>& run) -> bool {
    std::vector<std::shared_ptr<run_state>> children;
    std::vector<std::function<void()>> callbacks;
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
            request_stop = true;
        } else {
            // Hooks run when an attempt of this cycle ran (waiting to retry, or queued again after the delay).
            terminal_hooks = run->attempts_started > run->budget_start;
            change =
                end_locked(*run, run_status::canceled, make_error_info<canceled_error>(), callbacks, clock_->now());
            ended_now = true;
        }
    }
    if (auto* host = this->host(); request_stop && host) host->cancel_requested(run);
    if (ended_now) finish_publish(run, callbacks, change);
    for (auto& child : children) cancel_run(child);
    if (auto* host = this->host(); terminal_hooks && host)
        host->ended_between_attempts(run, make_error_info<canceled_error>());
    return true;
}

TASKKIT_DECL auto memory_backend::cancel_unstarted(const std::shared_ptr<run_state>& run) -> bool {
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
    if (auto* host = this->host(); terminal_hooks && host)
        host->ended_between_attempts(run, make_error_info<canceled_error>());
    return true;
}

TASKKIT_DECL auto memory_backend::shutdown() -> void {
    {
        scheduler_lock lock(*this);
        if (stopping_) return;
        stopping_ = true;  // nothing queued is claimed from now on (next_locked)
    }
    // Runs that have not started are canceled; one that a worker started meanwhile is left to end
    // by its own outcome.
    std::vector<std::shared_ptr<run_state>> all;
    {
        std::lock_guard lock(store_mutex_);
        all.reserve(runs_.size());
        runs_.for_each([&](const std::shared_ptr<run_state>& run) { all.push_back(run); });
    }
    for (const auto& run : all)
        if (!run->ended.load(std::memory_order_acquire)) cancel_unstarted(run);
}

TASKKIT_DECL auto memory_backend::retry(const run_target& target) -> void {
    auto run = target_run(target);
    if (!run) throw state_error("no run with id '" + std::string(target.id) + "' is held by this runtime");
    if (stopping_) throw runtime_stopped_error();
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
    // Every unfinished run is held: one forgotten after it finished (only the most recent finished
    // runs are kept) is held again, so its id finds it.
    if (!held(run->id)) hold(run);
    deliver(run, change);
    enqueue(run);
}

TASKKIT_DECL auto memory_backend::reschedule(const run_target& target, time_point due) -> void {
    auto run = target_run(target);
    if (!run) throw state_error("no run with id '" + std::string(target.id) + "' is held by this runtime");
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

// ------------------------------------------------------------------------------------ timers

TASKKIT_DECL auto memory_backend::on_run_timer(const run_timer& timer) -> void {
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
            break;  // the runtime's
    }
}

TASKKIT_DECL auto memory_backend::release_delayed(const std::weak_ptr<run_state>& weak, run_status expected,
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

TASKKIT_DECL auto memory_backend::expire(const std::weak_ptr<run_state>& weak) -> void {
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

// ------------------------------------------------------------------------------------ what attempts write

TASKKIT_DECL auto memory_backend::logged(const local_run&, const log_entry&) -> void {}  // on the record already

TASKKIT_DECL auto memory_backend::metadata_changed(const local_run&, const metadata_change&, const nlohmann::json&)
    -> void {}

TASKKIT_DECL auto memory_backend::step_result(const local_run& run, std::string_view key)
    -> std::optional<nlohmann::json> {
    const auto& state = static_cast<const run_state&>(run);
    std::lock_guard lock(state.mutex);
    const auto* extras = state.extras_if_any();
    if (!extras) return std::nullopt;
    auto it = extras->steps.find(key);
    if (it == extras->steps.end()) return std::nullopt;
    return it->second;
}

TASKKIT_DECL auto memory_backend::save_step(const local_run& run, std::string_view key, const nlohmann::json& result)
    -> void {
    auto& state = const_cast<run_state&>(static_cast<const run_state&>(run));
    std::lock_guard lock(state.mutex);
    state.extras().steps.insert_or_assign(std::string(key), result);
}

}  // namespace taskkit::detail
