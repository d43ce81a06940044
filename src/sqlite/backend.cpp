// taskkit::sqlite_backend (sqlite/sqlite_backend.hpp): the taskkit::backend interface over the
// store (store.hpp). The store decides everything several processes must agree on, in its
// transactions; this layer adds what belongs to one process:
//
// - its owner id (random, with the pid), which its leases carry;
// - the leases it holds, with the machine each holds of the runtime's budget, renewed by a
//   background thread at a third of their duration (and before each claim, for a clock that jumps);
// - the status events: every change of the file — this process's and the others' — is reported to
//   the runtime from the store's events table, in the file's commit order, by one thread at a time,
//   so that the changes of one run reach the runtime in the order they were made;
// - the wake-ups: a timer on the runtime's clock for the next due run, ttl or lapsed lease of
//   another process, and the background thread polling for what other processes changed;
// - the runtime's objects for runs (local_run), which it needs to name a run to the runtime when it
//   requests a stop, grants a slot back, or owes hooks.
#include <taskkit/sqlite/sqlite_backend.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <iterator>
#include <mutex>
#include <random>
#include <span>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#if defined(_WIN32)
#include <process.h>
#else
#include <unistd.h>
#endif

#include <fmt/format.h>

#include <taskkit/detail/payload_decoding.hpp>
#include <taskkit/detail/run_state.hpp>
#include <taskkit/error.hpp>
#include <taskkit/registry.hpp>

#include "sqlite/codec.hpp"
#include "sqlite/store.hpp"

namespace taskkit::sqlite::detail {
namespace {

std::string make_owner_id() {
#if defined(_WIN32)
    const auto pid = static_cast<long long>(::_getpid());
#else
    const auto pid = static_cast<long long>(::getpid());
#endif
    std::random_device seed;
    const auto random = (static_cast<std::uint64_t>(seed()) << 32) ^ seed();
    return fmt::format("{}-{:016x}", pid, random);
}

machine minus(machine a, const machine& b) {
    a.cpu -= b.cpu;
    a.memory -= b.memory;
    return a;
}

taskkit::lease_state to_public(lease_state state) {
    switch (state) {
        case lease_state::held:
            return taskkit::lease_state::held;
        case lease_state::cancel_requested:
            return taskkit::lease_state::cancel_requested;
        case lease_state::lost:
            break;
    }
    return taskkit::lease_state::lost;
}

/// Fills a claimed_run's per-run limits when the runtime's claimed_run has them.
template <class Claimed>
void set_limits(Claimed& out, int max_attempts, std::chrono::milliseconds max_duration) {
    if constexpr (requires { out.max_attempts = max_attempts; }) out.max_attempts = max_attempts;
    if constexpr (requires { out.max_duration = max_duration; }) out.max_duration = max_duration;
}

error_info canceled_info() {
    return make_error("taskkit::canceled_error", "the run was canceled", error_code::run_canceled);
}

}  // namespace

class sqlite_backend final : public backend, public std::enable_shared_from_this<sqlite_backend> {
public:
    explicit sqlite_backend(const sqlite_options& options) : store_(options), owner_(make_owner_id()) {
        if (options.lease_duration.count() <= 0)
            throw options_error("sqlite_options::lease_duration must be greater than 0");
        if (options.poll_interval.count() <= 0)
            throw options_error("sqlite_options::poll_interval must be greater than 0");
    }

    sqlite_backend(const sqlite_backend&) = delete;
    sqlite_backend& operator=(const sqlite_backend&) = delete;

    ~sqlite_backend() override { stop_thread(); }

    [[nodiscard]] backend_traits traits() const noexcept override {
        return backend_traits{.keeps_local_runs = false, .durable = true};
    }

    // ---------------------------------------------------------------- lifetime

    void attach(backend_host& host) override {
        if (host_.load()) throw state_error("a SQLite backend serves one runtime at a time: it is attached already");
        clock_ = host.time();
        capacity_ = host.capacity();
        registry_ = &host.tasks();
        stopping_.store(false);
        {
            std::lock_guard lock(events_mutex_);
            delivered_seq_ = store_.last_event_seq();
            delivered_at_ = clock_->now();
        }
        host_.store(&host);
        // Queues are declared for every process from this runtime's definitions (the last
        // declaration wins); a queue met later is declared at its first trigger.
        if (!store_.options().read_only)
            for (const auto& id : registry_->ids())
                if (auto def = registry_->find(id)) declare(def->queue.name, &def->queue);
        {
            std::lock_guard lock(thread_mutex_);
            thread_stop_ = false;
        }
        thread_ = std::thread([this] { background(); });
        // Runs left in the file (queued before a restart, or by other processes) may start now.
        refresh_wakeup();
        host.work_available();
    }

    void shutdown() override {
        // Durable: queued runs stay queued for the next runtime on the file. Leases stay renewed
        // until detach, while the runtime lets its executing runs finish.
        stopping_.store(true);
    }

    void detach() override {
        stop_thread();
        try {
            flush_pending();
        } catch (const std::exception&) {
            // The lines stay unwritten; nothing else is lost.
        }
        host_.store(nullptr);
    }

    // ---------------------------------------------------------------- creating runs

    created_run create(const run_request& request) override {
        if (stopping_.load()) throw runtime_stopped_error("the runtime is shutting down: no new runs are accepted");
        check_request(request);
        declare_for(request);
        const nlohmann::json payload = request.payload();
        const auto made = store_.create(to_new_run(request, payload), now());
        if (replaces_payload(request)) note_trailing(made.id);
        if (!made.existing && request.local) remember(made.id, request.local);
        publish();
        created_run out{made.id, made.existing, nullptr};
        out.debounced = made.debounced;
        return out;
    }

    /// The whole batch in one write transaction: every run of it is committed, or none (a throw
    /// rolls back every item). Each item's idempotency key is looked up inside the transaction,
    /// after the items before it were inserted, so keys behave as for triggers one at a time.
    std::vector<created_run> create_batch(std::span<const run_request> requests) override {
        if (stopping_.load()) throw runtime_stopped_error("the runtime is shutting down: no new runs are accepted");
        std::vector<created_run> out;
        if (requests.empty()) return out;
        for (const auto& request : requests) check_request(request);
        // What can throw before the transaction does: the queues' declarations, the payloads as JSON.
        for (const auto& request : requests) declare_for(request);
        std::vector<nlohmann::json> payloads;
        payloads.reserve(requests.size());
        for (const auto& request : requests) payloads.push_back(request.payload());
        std::vector<new_run> runs;
        runs.reserve(requests.size());
        for (std::size_t i = 0; i < requests.size(); ++i) runs.push_back(to_new_run(requests[i], payloads[i]));
        auto made = store_.create(std::span<const new_run>(runs), now());
        for (std::size_t i = 0; i < made.size(); ++i)
            if (replaces_payload(requests[i])) note_trailing(made[i].id);
        out.reserve(made.size());
        for (std::size_t i = 0; i < made.size(); ++i) {
            if (!made[i].existing && requests[i].local) remember(made[i].id, requests[i].local);
            out.push_back(created_run{std::move(made[i].id), made[i].existing, nullptr});
            out.back().debounced = made[i].debounced;
        }
        publish();
        return out;
    }

    // ---------------------------------------------------------------- claiming

    std::optional<claimed_run> claim() override {
        if (stopping_.load() || !host_.load()) return std::nullopt;
        renew_due(false);
        claim_result result;
        const auto tasks = known_tasks();
        {
            std::lock_guard claiming(claim_mutex_);
            const auto busy = busy_runs();
            const claim_request request{
                .owner = owner_, .now = now(), .free = free_budget(), .max_runs = 1, .tasks = tasks, .busy = busy};
            result = store_.claim(request);
            take(result);
        }
        return after_claim(std::move(result));
    }

    std::optional<claimed_run> claim(const std::shared_ptr<local_run>& run) override {
        if (stopping_.load() || !host_.load() || !run) return std::nullopt;
        const std::string id(run->run_id());
        std::optional<claimed> made;
        {
            std::lock_guard claiming(claim_mutex_);
            if (holds_lease_of(id)) return std::nullopt;  // an older attempt of it still runs here
            made = store_.claim_run(id, owner_, now(), free_budget());
            if (made) take_one(*made);
        }
        if (!made) return std::nullopt;
        remember(id, run);
        publish();
        return to_claimed_run(std::move(*made));
    }

    std::optional<claimed_run> finish(const lease& held, const attempt_outcome& outcome, bool claim_next) override {
        const auto info = lease_of(held);
        try {
            return finish_attempt(held, info, outcome, claim_next);
        } catch (...) {
            // Not recorded (the file busy past the timeout, a full disk): this process stops
            // renewing the lease, so it lapses and the run gets a new attempt (at least once). A
            // worker looks once it has lapsed (claims rescue lapsed leases; no other process may).
            forget_lease(info.token);
            if (auto* h = host()) {
                const auto lapsed = now() + store_.options().lease_duration + std::chrono::milliseconds(10);
                h->schedule(lapsed, [this] {
                    if (auto* again = host()) again->work_available();
                });
            }
            throw;
        }
    }

    std::optional<claimed_run> finish_attempt(const lease& held, const lease_info& info, const attempt_outcome& outcome,
                                              bool claim_next) {
        if (held.run) remember(info.run_id, held.run);
        flush_pending();
        sqlite::detail::outcome result;
        result.status = outcome.status;
        result.error = outcome.error;
        result.retry_at = outcome.retry_at;
        result.interrupted = outcome.interrupted;
        result.output = outcome.output;
        finish_result done;
        const bool next_wanted = claim_next && !stopping_.load() && host_.load();
        const auto tasks = next_wanted ? known_tasks() : std::vector<std::string>{};
        {
            std::lock_guard claiming(claim_mutex_);
            std::optional<claim_request> next;
            std::vector<std::string> busy;
            if (next_wanted) {
                busy = busy_runs(info.token);
                next = claim_request{.owner = owner_,
                                     .now = now(),
                                     .free = free_budget(info.token),
                                     .max_runs = 1,
                                     .tasks = tasks,
                                     .busy = busy};
            }
            done = store_.finish(info, result, now(), next ? &*next : nullptr);
            forget_lease(info.token);
            if (done.next) take(*done.next);
        }
        if (done.ended_between_attempts) owe_hooks(info.run_id, canceled_info());
        std::optional<claimed_run> next_run;
        if (done.next) {
            next_run = after_claim(std::move(*done.next));
        } else {
            publish();
            grant_pending();
            if (next_wanted && !done.accepted) next_run = claim();  // the lease was lost: claim on its own
        }
        return next_run;
    }

    taskkit::lease_state renew(const lease& held) override {
        const auto info = lease_of(held);
        if (held.run) remember(info.run_id, held.run);
        const auto state = store_.renew(info, now());
        std::lock_guard lock(mutex_);
        if (auto it = leases_.find(info.token); it != leases_.end()) {
            it->second.renewed_at = now();
            it->second.renewed_real = std::chrono::steady_clock::now();
            if (state == lease_state::lost) it->second.lost = true;
        }
        return to_public(state);
    }

    // ---------------------------------------------------------------- waits

    void suspend(const lease& held, const wait_spec& what) override {
        const auto info = lease_of(held);
        if (held.run) remember(info.run_id, held.run);
        flush_pending();
        wait_info wait;
        for (const auto& run : what.runs)
            if (run) wait.runs.emplace_back(run->run_id());
        wait.any = what.any;
        wait.until = what.until;
        wait.token = std::string(what.token);
        if (what.info) wait.shown = *what.info;
        bool suspended = false;
        {
            std::lock_guard claiming(claim_mutex_);
            suspended = store_.suspend(info, wait, now());
            std::lock_guard lock(mutex_);
            if (auto it = leases_.find(info.token); it != leases_.end()) {
                if (suspended)
                    it->second.executing = false;  // its slot and machine are given back
                else
                    it->second.lost = true;
            }
        }
        publish();
        if (!suspended) stop_lost(info.run_id, info.attempt);  // the lease was lost: stop the attempt
        grant_pending();
    }

    bool resume(const lease& held) override {
        const auto info = lease_of(held);
        if (held.run) remember(info.run_id, held.run);
        resume_state state = resume_state::lost;
        {
            std::lock_guard claiming(claim_mutex_);
            state = store_.resume(info, free_budget(), now());
            std::lock_guard lock(mutex_);
            if (auto it = leases_.find(info.token); it != leases_.end()) {
                if (state == resume_state::granted) it->second.executing = true;
                if (state == resume_state::pending) it->second.resume_pending = true;
                if (state == resume_state::lost) it->second.lost = true;
            }
        }
        publish();
        if (state == resume_state::lost) {
            // Another process took the run over (this process stopped renewing in time): the run
            // goes on here only to stop; its outcome will be refused.
            stop_lost(info.run_id, info.attempt);
            return true;
        }
        return state == resume_state::granted;
    }

    // ---------------------------------------------------------------- control

    bool cancel(const run_target& target) override {
        if (target.local) remember(std::string(target.id), target.local);
        const auto result = store_.cancel(target.id, now());
        publish();  // reports the statuses, and the stop requests of this process's runs
        for (const auto& ended : result.ended) owe_hooks(ended.id, canceled_info());
        return result.changed;
    }

    void retry(const run_target& target) override {
        if (stopping_.load()) throw runtime_stopped_error();
        if (target.local) remember(std::string(target.id), target.local);
        store_.retry(target.id, now());
        publish();
    }

    void reschedule(const run_target& target, time_point at) override {
        store_.reschedule(target.id, at, now());
        publish();
    }

    // ---------------------------------------------------------------- queues
    // Pause and limit overrides live in the file's queues table, so every process claiming from
    // it honours them; declarations (attach) rewrite the declared limits and leave them alone.

    [[nodiscard]] std::vector<queue_stats> queues() const override {
        auto held = self().store_.queues();
        if (registry_) {
            // Queues the registry declares that no process has written to the file yet.
            for (const auto& declared : registry_->queues()) {
                auto it = std::lower_bound(held.begin(), held.end(), declared.name,
                                           [](const queue_stats& q, const std::string& n) { return q.name < n; });
                if (it != held.end() && it->name == declared.name) continue;
                held.insert(it, queue_stats{.name = declared.name,
                                            .limit = declared.concurrency_limit,
                                            .declared_limit = declared.concurrency_limit,
                                            .total_limit = declared.total_concurrency_limit,
                                            .rate = declared.rate_limit,
                                            .key_rate = declared.key_rate_limit});
            }
        }
        return held;
    }

    void pause_queue(std::string_view name, bool paused) override {
        if (!store_.set_paused(name, paused)) {
            declare_known(name);
            store_.set_paused(name, paused);
        }
        if (!paused)
            if (auto* h = host()) h->work_available();
    }

    void set_queue_limit(std::string_view name, std::optional<int> limit) override {
        if (limit && *limit < 1)
            throw options_error("queue '" + std::string(name) + "': a concurrency limit must be at least 1, got " +
                                std::to_string(*limit));
        if (!store_.set_limit_override(name, limit)) {
            declare_known(name);
            store_.set_limit_override(name, limit);
        }
        if (auto* h = host()) h->work_available();
    }

    // ---------------------------------------------------------------- reading

    [[nodiscard]] std::shared_ptr<local_run> local(std::string_view) const override { return nullptr; }

    [[nodiscard]] std::optional<run_record> find(std::string_view run_id) const override {
        self().flush_pending_quietly();
        return self().store_.find(run_id);
    }

    [[nodiscard]] run_page list(const run_filter& filter) const override {
        self().flush_pending_quietly();
        return self().store_.list(filter);
    }

    // ---------------------------------------------------------------- what an attempt writes

    void logged(const local_run& run, const log_entry& entry) override {
        // Written in batches (by the background thread, and before a record is read or an attempt
        // ends): a run that logs in a loop costs one commit per batch, not one per line.
        std::lock_guard lock(logs_mutex_);
        pending_logs_.emplace_back(std::string(run.run_id()), entry);
        if (pending_logs_.size() >= 1000) wake_thread();
    }

    void metadata_changed(const local_run& run, const metadata_change& change,
                          const nlohmann::json& metadata) override {
        // The change, not this process's copy, is applied to what the file holds: a change another
        // process made meanwhile (a child's increment of this run's counter) is kept. The chunks
        // appended before go first, so that followers see the two in the order they were made.
        flush_pending_quietly();
        const std::string id(run.run_id());
        store::metadata_written written;
        try {
            written = store_.change_metadata(id, change, owner_, now());
        } catch (const options_error&) {
            // It fit this process's copy, not the file's (another process changed the key): the
            // file keeps its metadata, and the runtime's object takes it back.
            if (auto record = store_.find(id)) report_metadata(id, record->task_id, record->metadata);
            throw;
        }
        {
            std::lock_guard lock(updates_mutex_);
            auto& seq = written_seq_[id];
            seq = std::max(seq, written.seq);
        }
        // The object holds what the file does unless another process changed the run meanwhile
        // (or an older state of the file reached the object after this change): then this event
        // reaches this runtime too, and gives the object the file's metadata. The runtime makes a
        // run's changes here one at a time, each to its object and then here, and applies a state
        // from the file only between them (run_extras::metadata_writes): a difference is never a
        // change of this process that the file lacks, which this state would take back.
        if (held_metadata(run, metadata) != written.metadata) {
            {
                std::lock_guard lock(updates_mutex_);
                redeliver_.insert(written.seq);
            }
            // Not waiting for a thread delivering meanwhile: it may be waiting for this change to
            // reach the object before it hands the run's newer state over; it delivers this next.
            publish(false);
        }
    }

    void update_metadata(std::string_view run_id, const metadata_change& change) override {
        // A run this runtime does not hold: its event reaches this runtime as every other's, so
        // that the watchers here hear of it.
        const auto written = store_.change_metadata(run_id, change, owner_, now());
        {
            std::lock_guard lock(updates_mutex_);
            redeliver_.insert(written.seq);
        }
        publish();
    }

    void stream_appended(const local_run& run, std::string_view stream, std::size_t index,
                         const nlohmann::json& chunk) override {
        // Written in batches, like the log lines: a run streaming tokens costs one commit per
        // batch. Readers (find, list, another process) see them once flushed: before a record is
        // read or an attempt ends here, at the next round of the background thread otherwise.
        chunk_entry entry{std::string(run.run_id()), std::string(stream), index, json_text(chunk)};
        std::lock_guard lock(logs_mutex_);
        pending_chunks_.push_back(std::move(entry));
        if (pending_chunks_.size() >= 1000) wake_thread();
    }

    void hook_failed(const local_run& run, const error_info& error) override {
        try {
            store_.add_hook_error(run.run_id(), error, now());
        } catch (const state_error&) {
            // The run is not in the file (a test's object): the error stays on the object only.
        }
    }

    // ---------------------------------------------------------------- scheduled tasks

    bool claim_schedule_fire(std::string_view schedule_id, time_point nominal) override {
        // Decided in the file (a row per schedule and nominal time): one process wins.
        return store_.claim_schedule_fire(schedule_id, nominal, owner_, now());
    }

    // ---------------------------------------------------------------- memoized steps

    [[nodiscard]] std::optional<nlohmann::json> step_result(const local_run& run, std::string_view key) override {
        return store_.step_result(run.run_id(), key);
    }

    void save_step(const local_run& run, std::string_view key, const nlohmann::json& result) override {
        lease_info info;
        {
            std::lock_guard lock(mutex_);
            auto it = token_of_.find(std::string(run.run_id()));
            if (it == token_of_.end())
                throw state_error(
                    fmt::format("ctx.step '{}': run {} holds no lease in this process", key, run.run_id()));
            const auto& held = leases_.at(it->second);
            info = lease_info{held.run_id, owner_, held.token, held.attempt, {}};
        }
        // False when the lease was lost: another process executes the run now, and this attempt's
        // results are refused whole.
        (void)store_.save_step(info, key, result, now());
    }

private:
    /// A lease this process holds.
    struct held_lease {
        std::string run_id;
        std::int64_t token = 0;
        int attempt = 0;
        machine machine_spec{0, 0};
        bool executing = true;  ///< false while waiting (its slot and machine given back)
        bool resume_pending = false;
        bool lost = false;
        bool cancel_reported = false;
        time_point renewed_at;
        std::chrono::steady_clock::time_point renewed_real;
    };

    /// For the const readers (find, list), which flush pending log lines first.
    sqlite_backend& self() const { return const_cast<sqlite_backend&>(*this); }

    [[nodiscard]] time_point now() const { return clock_ ? clock_->now() : std::chrono::system_clock::now(); }

    backend_host* host() const noexcept { return host_.load(); }

    /// The tasks this runtime defines, sorted: it claims runs of these only (a run of a task it
    /// does not define waits for a process that does).
    std::vector<std::string> known_tasks() const {
        if (!registry_) return {};
        auto ids = registry_->ids();
        std::sort(ids.begin(), ids.end());
        if (ids.empty()) ids.emplace_back();  // none: claims nothing (an empty list would mean any)
        return ids;
    }

    // ---------------------------------------------------------------- queues

    /// Throws options_error for a request the store cannot take.
    static void check_request(const run_request& request) {
        if (request.id.empty()) throw options_error("a run to create needs an id");
        if (request.task_id.empty()) throw options_error("run " + std::string(request.id) + " names no task");
        if (request.queue.empty()) throw options_error("run " + std::string(request.id) + " names no queue");
        if (request.metadata && !request.metadata->is_object() && !request.metadata->is_null())
            throw options_error("run " + std::string(request.id) + ": metadata must be a JSON object");
        if (!request.debounce_key.empty() && (request.debounce_delay.count() <= 0 || !request.run_at))
            throw options_error("run " + std::string(request.id) + ": a debounced run needs a delay and its run_at");
    }

    static bool replaces_payload(const run_request& request) {
        return !request.debounce_key.empty() && request.debounce_mode == debounce_mode::trailing;
    }

    /// Notes a run created or joined by a trailing debounce: its payload in the file may change
    /// until it is claimed, so a claim refreshes this process's object for it from the record.
    void note_trailing(const std::string& id) {
        std::lock_guard lock(mutex_);
        trailing_.insert(id);
    }

    /// At a claim of a run noted by note_trailing: this process's object for the run, if it has
    /// one (it was triggered or followed here), takes the payload the claim read from the file,
    /// which another trigger — in this process or another — may have replaced since the object
    /// was made. The claim read the payload in the transaction that marked the run executing, so
    /// the attempt runs with the last payload stored before it started.
    void refresh_trailing_payload(const run_record& record) {
        {
            std::lock_guard lock(mutex_);
            if (trailing_.erase(record.id) == 0) return;
        }
        auto held = local_of(record.id);
        auto* target = dynamic_cast<taskkit::detail::run_state*>(held.get());
        if (!target || !registry_) return;
        auto def = registry_->find(record.task_id);
        if (!def) return;
        std::shared_ptr<taskkit::detail::run_state> fresh;
        try {
            fresh = taskkit::detail::make_run_from_json(*def, record.payload);
        } catch (const std::exception&) {
            return;  // it decoded when it was stored; the object keeps the payload it has
        }
        std::lock_guard lock(target->mutex);
        target->take_payload_locked(*fresh);
    }

    /// The store's view of a request, with `payload` its payload as JSON (both must outlive it).
    static new_run to_new_run(const run_request& request, const nlohmann::json& payload) {
        new_run run{request};
        run.payload_json = &payload;
        return run;
    }

    void declare_for(const run_request& request) {
        const queue_options* task_queue = nullptr;
        std::shared_ptr<const taskkit::detail::task_definition_base> def;
        if (registry_) {
            def = registry_->find(request.task_id);
            if (def && def->queue.name == request.queue) task_queue = &def->queue;
        }
        declare(request.queue, task_queue);
    }

    /// Writes a queue the registry declares to the file (for a control call naming a queue no run
    /// has used yet); throws unknown_queue_error for a name the registry does not declare.
    void declare_known(std::string_view name) {
        if (!registry_ || !registry_->queue(name)) throw unknown_queue_error(name);
        {
            std::lock_guard lock(mutex_);
            declared_.erase(std::string(name));
        }
        declare(name, nullptr);
    }

    /// Declares queue `name` with the registry's declaration, else the task's own options, else
    /// none (no limits) — once per backend.
    void declare(std::string_view name, const queue_options* task_queue) {
        {
            std::lock_guard lock(mutex_);
            if (declared_.contains(std::string(name))) return;
        }
        queue_options options;
        if (auto declared = registry_ ? registry_->queue(name) : std::nullopt)
            options = *declared;
        else if (task_queue)
            options = *task_queue;
        options.name = std::string(name);
        store_.declare_queue(options, now());
        std::lock_guard lock(mutex_);
        declared_.insert(std::string(name));
    }

    // ---------------------------------------------------------------- leases and the budget

    /// What this runtime's budget has free: its capacity minus the machines of the runs executing
    /// here (not the waiting ones, which gave theirs back). `except`: a lease about to end.
    machine free_budget(std::int64_t except = 0) const {
        std::lock_guard lock(mutex_);
        machine free = capacity_;
        for (const auto& [token, held] : leases_)
            if (held.executing && !held.lost && token != except) free = minus(free, held.machine_spec);
        return free;
    }

    /// The runs an attempt of which runs in this process (it holds their lease, or held it until
    /// it lapsed and its attempt has not returned yet), sorted; `except`: a lease about to end.
    std::vector<std::string> busy_runs(std::int64_t except = 0) const {
        std::vector<std::string> busy;
        {
            std::lock_guard lock(mutex_);
            busy.reserve(leases_.size());
            for (const auto& [token, held] : leases_)
                if (token != except) busy.push_back(held.run_id);
        }
        std::sort(busy.begin(), busy.end());
        return busy;
    }

    bool holds_lease_of(const std::string& run_id) const {
        std::lock_guard lock(mutex_);
        return token_of_.contains(run_id);  // one lease per run here (claims pass over busy runs)
    }

    void take_one(const claimed& c) {
        held_lease held;
        held.run_id = c.lease.run_id;
        held.token = c.lease.token;
        held.attempt = c.lease.attempt;
        held.machine_spec = c.record.machine_spec;
        held.renewed_at = now();
        held.renewed_real = std::chrono::steady_clock::now();
        std::lock_guard lock(mutex_);
        token_of_[held.run_id] = held.token;
        leases_[held.token] = std::move(held);
    }

    /// Notes the leases of a claim's runs and its granted resumers; call with claim_mutex_ held.
    void take(const claim_result& result) {
        for (const auto& c : result.runs) take_one(c);
        std::lock_guard lock(mutex_);
        for (const auto& id : result.resumed)
            if (auto it = token_of_.find(id); it != token_of_.end()) {
                auto& held = leases_.at(it->second);
                held.executing = true;
                held.resume_pending = false;
            }
    }

    void forget_lease(std::int64_t token) {
        std::lock_guard lock(mutex_);
        auto it = leases_.find(token);
        if (it == leases_.end()) return;
        if (auto t = token_of_.find(it->second.run_id); t != token_of_.end() && t->second == token) token_of_.erase(t);
        leases_.erase(it);
    }

    /// The store's lease for a lease the runtime hands back.
    lease_info lease_of(const lease& held) const {
        const auto token = static_cast<std::int64_t>(held.token);
        std::lock_guard lock(mutex_);
        if (auto it = leases_.find(token); it != leases_.end())
            return lease_info{it->second.run_id, owner_, token, held.attempt, {}};
        if (!held.run) throw state_error("a lease this SQLite backend never granted, without its run");
        return lease_info{std::string(held.run->run_id()), owner_, token, held.attempt, {}};
    }

    std::optional<claimed_run> after_claim(claim_result result) {
        if (!result.ended.empty())
            for (const auto& ended : result.ended) owe_hooks_for(ended);
        publish();
        granted(result.resumed);
        if (result.next_wakeup) schedule_wakeup(*result.next_wakeup);
        if (result.runs.empty()) return std::nullopt;
        return to_claimed_run(std::move(result.runs.front()));
    }

    claimed_run to_claimed_run(claimed c) {
        refresh_trailing_payload(c.record);
        claimed_run out;
        out.lease.attempt = c.lease.attempt;
        out.lease.token = static_cast<std::uint64_t>(c.lease.token);
        out.lease.expires_at = c.lease.expires_at;
        out.attempt_in_budget = c.attempt_in_budget;
        set_limits(out, c.max_attempts, c.max_duration);
        out.record = std::make_unique<run_record>(std::move(c.record));
        return out;
    }

    /// Renews the leases due (a third of the lease past their last renewal, on the runtime's
    /// clock or in real time), in one transaction, and tells the runtime of cancels and losses.
    void renew_due(bool quietly) {
        const auto third = store_.options().lease_duration / 3;
        const auto clock_now = now();
        const auto real_now = std::chrono::steady_clock::now();
        std::vector<lease_info> due;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [token, held] : leases_)
                if (!held.lost && (clock_now >= held.renewed_at + third || real_now >= held.renewed_real + third))
                    due.push_back(lease_info{held.run_id, owner_, token, held.attempt, {}});
        }
        if (due.empty()) return;
        std::vector<lease_state> states;
        try {
            states = store_.renew(due, clock_now);
        } catch (const std::exception&) {
            if (!quietly) throw;
            return;  // tried again at the next round, well before the lease lapses
        }
        std::vector<std::string> cancel;
        std::vector<std::pair<std::string, int>> lost;
        {
            std::lock_guard lock(mutex_);
            for (std::size_t i = 0; i < due.size(); ++i) {
                auto it = leases_.find(due[i].token);
                if (it == leases_.end()) continue;
                auto& held = it->second;
                held.renewed_at = clock_now;
                held.renewed_real = real_now;
                if (states[i] == lease_state::lost) {
                    held.lost = true;
                    lost.emplace_back(held.run_id, held.attempt);
                } else if (states[i] == lease_state::cancel_requested && !held.cancel_reported) {
                    held.cancel_reported = true;
                    cancel.push_back(held.run_id);
                }
            }
        }
        for (const auto& id : cancel) request_stop(id);
        for (const auto& [id, attempt] : lost) stop_lost(id, attempt);
    }

    // ---------------------------------------------------------------- the runtime's objects

    void remember(const std::string& run_id, const std::shared_ptr<local_run>& run) {
        if (!run) return;
        std::lock_guard lock(mutex_);
        locals_[run_id] = run;
        if (locals_.size() >= locals_swept_at_) {  // forget the runs the runtime let go of
            std::erase_if(locals_, [](const auto& entry) { return entry.second.expired(); });
            locals_swept_at_ = std::max<std::size_t>(64, locals_.size() * 2);
        }
    }

    std::shared_ptr<local_run> local_of(const std::string& run_id) const {
        {
            std::lock_guard lock(mutex_);
            auto it = locals_.find(run_id);
            if (it != locals_.end())
                if (auto run = it->second.lock()) return run;
        }
        // A run this runtime claimed or follows, whose object no call has handed over yet.
        auto* h = host();
        return h ? h->held_run(run_id) : nullptr;
    }

    void request_stop(const std::string& run_id) {
        auto* h = host();
        if (!h) return;
        if (auto run = local_of(run_id)) h->cancel_requested(run);
    }

    /// This process's lease of attempt `attempt` was lost (the run rescued by another process):
    /// that attempt stops, and is not canceled (the run goes on elsewhere).
    void stop_lost(const std::string& run_id, int attempt) {
        auto* h = host();
        if (!h) return;
        if (auto run = local_of(run_id)) h->lease_lost(run, attempt);
    }

    /// A run that an attempt of this process ran ended without an attempt: its hooks run here.
    /// (A run whose object this process does not hold — its attempts ran elsewhere — gets none.)
    void owe_hooks(const std::string& run_id, const error_info& error) {
        auto* h = host();
        if (!h) return;
        if (auto run = local_of(run_id)) h->ended_between_attempts(run, error);
    }

    void owe_hooks_for(const ended_run& ended) {
        if (ended.status == run_status::canceled) {
            owe_hooks(ended.id, canceled_info());
            return;
        }
        if (!local_of(ended.id)) return;
        auto record = store_.find(ended.id);
        owe_hooks(ended.id, record && record->error
                                ? *record->error
                                : make_error("taskkit::error", "the run crashed", error_code::run_crashed));
    }

    // ---------------------------------------------------------------- waits' slots

    void granted(const std::vector<std::string>& ids) {
        auto* h = host();
        if (!h) return;
        for (const auto& id : ids)
            if (auto run = local_of(id)) h->resume_granted(run);
    }

    /// Grants this process's waiting runs that asked their slot back, when they fit now.
    void grant_pending() {
        {
            std::lock_guard lock(mutex_);
            const bool any = std::any_of(leases_.begin(), leases_.end(),
                                         [](const auto& entry) { return entry.second.resume_pending; });
            if (!any) return;
        }
        std::vector<std::string> ids;
        {
            std::lock_guard claiming(claim_mutex_);
            ids = store_.grant_resumers(owner_, free_budget(), now());
            std::lock_guard lock(mutex_);
            for (const auto& id : ids)
                if (auto it = token_of_.find(id); it != token_of_.end()) {
                    auto& held = leases_.at(it->second);
                    held.executing = true;
                    held.resume_pending = false;
                }
        }
        if (!ids.empty()) publish();
        granted(ids);
    }

    // ---------------------------------------------------------------- waitpoint tokens
    // Kept in the file, so every process on it sees one token; a completion's event reaches each
    // process through publish() (deliver calls backend_host::token_completed), the completing
    // one included.

    created_token create_token(const token_request& request) override {
        if (request.id.empty()) throw options_error("a waitpoint token needs an id");
        return store_.create_token(request, now());
    }

    token_completion complete_token(std::string_view id, const nlohmann::json& data) override {
        const auto done = store_.complete_token(id, data, now());
        if (done == token_completion::completed) publish();
        return done;
    }

    [[nodiscard]] std::optional<token_record> find_token(std::string_view id) const override {
        return self().store_.find_token(id, now());
    }

    [[nodiscard]] std::vector<token_record> list_tokens(const token_filter& filter) const override {
        return self().store_.list_tokens(filter, now());
    }

    // ---------------------------------------------------------------- status events

    /// Reports the file's new events to the runtime, oldest first, without any lock held. One
    /// thread delivers at a time, so that the changes of a run reach the runtime in the order the
    /// file made them. A thread that changed the file waits until its changes are delivered (by
    /// itself, or by the thread delivering meanwhile) before it returns; the background thread
    /// (`wait` false) leaves them to a thread delivering already. So does a thread that the runtime
    /// called back while it was delivering (a subscriber that triggers a run): the loop it
    /// returns to delivers its changes next.
    void publish(bool wait = true) {
        std::int64_t target = 0;
        try {
            target = store_.last_event_seq();
        } catch (const std::exception&) {
            return;  // read again at the next poll
        }
        {
            std::unique_lock lock(events_mutex_);
            // Bounded: a runtime that never returns from a callback delays this call, never blocks it.
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
            for (;;) {
                if (delivered_seq_ >= target) return;
                if (!delivering_) break;
                if (!wait || deliverer_ == std::this_thread::get_id()) {
                    more_ = true;
                    return;
                }
                if (events_cv_.wait_until(lock, give_up) == std::cv_status::timeout) return;
            }
            delivering_ = true;
            deliverer_ = std::this_thread::get_id();
        }
        bool claimable = false;
        bool due_times = false;
        for (;;) {
            std::int64_t after = 0;
            {
                std::lock_guard lock(events_mutex_);
                after = delivered_seq_;
                more_ = false;
            }
            constexpr std::size_t batch_size = 500;
            event_batch batch;
            try {
                batch = store_.events_since(after, batch_size);
            } catch (const std::exception&) {
                std::lock_guard lock(events_mutex_);
                delivering_ = false;
                deliverer_ = {};
                events_cv_.notify_all();
                return;  // read again at the next poll
            }
            if (batch.missed) {
                // This process fell behind by more than event_retention (it was paused): the
                // events it missed are gone, so every run changed since the last one it saw is
                // reported once, with its status now.
                try {
                    for (const auto& e : store_.changed_since(delivered_at_)) deliver(e, claimable, due_times);
                } catch (const std::exception&) {
                }
                // Token completions among them are gone too: every waiting run reads its token again.
                if (auto* h = host()) try {
                        h->token_completed({});
                    } catch (...) {
                    }
            }
            for (const auto& e : batch.events) deliver(e, claimable, due_times);
            std::lock_guard lock(events_mutex_);
            delivered_seq_ = std::max({delivered_seq_, batch.last_seq, batch.pruned_through});
            {
                // Every event before them is delivered: the writes they guard against are past.
                std::lock_guard updates(updates_mutex_);
                std::erase_if(written_seq_, [this](const auto& entry) { return entry.second <= delivered_seq_; });
            }
            if (!batch.events.empty()) delivered_at_ = batch.events.back().at;
            events_cv_.notify_all();
            if (!more_ && batch.events.size() < batch_size) {
                delivering_ = false;
                deliverer_ = {};
                break;
            }
        }
        if (due_times) refresh_wakeup();
        if (auto* h = host(); claimable && h) h->work_available();
    }

    void deliver(const event& e, bool& claimable, bool& due_times) {
        auto* h = host();
        if (!h) return;
        if (e.what == event::kind::cancel_requested) {
            if (e.owner == owner_) request_stop(e.run_id);
            return;
        }
        if (e.what == event::kind::metadata || e.what == event::kind::stream) {
            deliver_update(e);
            return;
        }
        if (e.what == event::kind::token_completed) {
            try {
                h->token_completed(e.run_id);
            } catch (...) {
            }
            return;
        }
        switch (e.status) {
            case run_status::queued:
                claimable = true;
                break;
            case run_status::delayed:
            case run_status::retrying:
                due_times = true;
                claimable = true;  // a slot may have been freed
                break;
            case run_status::executing:
                if (e.owner != owner_) due_times = true;  // another process's lease to watch
                break;
            default:
                claimable = true;  // waiting or ended: a slot was freed
                break;
        }
        try {
            h->status_changed(run_event{e.run_id, e.task_id, e.status, e.attempt, nullptr});
        } catch (...) {
            // The runtime's subscribers do not throw into a backend; nothing to undo.
        }
    }

    /// A metadata change or a stream chunk, made by another process (or by this one, for a run it
    /// did not hold, or with a result its object lacked): to the runtime, which updates its object
    /// for the run and tells its watchers. One this process made on its object is skipped: its
    /// runtime told its watchers when it made it.
    void deliver_update(const event& e) {
        {
            std::lock_guard lock(updates_mutex_);
            const bool again = redeliver_.erase(e.seq) > 0;
            if (e.what == event::kind::metadata) {
                // A later change this process wrote holds this one's effect already.
                if (auto it = written_seq_.find(e.run_id); it != written_seq_.end() && e.seq < it->second) return;
            }
            if (e.owner == owner_ && !again) return;  // made here: the runtime told its watchers then
        }
        auto* h = host();
        if (!h) return;
        nlohmann::json value;
        try {
            value = nlohmann::json::parse(e.data);
        } catch (const std::exception&) {
            return;  // written by this backend, so never expected; nothing to pass on
        }
        run_update update;
        update.run_id = e.run_id;
        update.task_id = e.task_id;
        update.status = e.status;
        update.attempt = e.attempt;
        if (e.what == event::kind::metadata) {
            update.kind = update_kind::metadata;
            update.metadata = &value;
        } else {
            update.kind = update_kind::stream;
            update.stream = e.stream;
            update.index = e.index;
            update.chunk = &value;
        }
        try {
            h->run_updated(update);
        } catch (...) {
            // The runtime's watchers do not throw into a backend; nothing to undo.
        }
        if (e.what != event::kind::metadata) return;
        // This process wrote a later change of the run while this older state was being passed
        // on: that change's check of the object may have come first, so the object takes the
        // file's metadata now.
        bool raced = false;
        {
            std::lock_guard lock(updates_mutex_);
            auto it = written_seq_.find(e.run_id);
            raced = it != written_seq_.end() && it->second > e.seq;
        }
        if (!raced) return;
        try {
            if (auto record = store_.find(e.run_id)) report_metadata(e.run_id, e.task_id, record->metadata);
        } catch (const std::exception&) {
            // A busy file: the run's next change gives the object the file's metadata.
        }
    }

    /// The metadata of the runtime's object for a run now (`fallback`, the copy the runtime
    /// passed, for an object of another kind).
    static nlohmann::json held_metadata(const local_run& run, const nlohmann::json& fallback) {
        const auto* state = dynamic_cast<const taskkit::detail::run_state*>(&run);
        if (!state) return fallback;
        std::lock_guard lock(state->mutex);
        const auto* extras = state->extras_if_any();
        return extras && extras->metadata.is_object() ? extras->metadata : nlohmann::json::object();
    }

    /// Gives the runtime's object for a run the metadata the file holds.
    void report_metadata(const std::string& run_id, const std::string& task_id, const nlohmann::json& metadata) {
        auto* h = host();
        if (!h) return;
        run_update update;
        update.kind = update_kind::metadata;
        update.run_id = run_id;
        update.task_id = task_id;
        update.metadata = &metadata;
        try {
            h->run_updated(update);
        } catch (...) {
        }
    }

    // ---------------------------------------------------------------- wake-ups

    void refresh_wakeup() {
        try {
            if (auto at = store_.next_wakeup(owner_)) schedule_wakeup(*at);
        } catch (const std::exception&) {
            // The next poll tries again.
        }
    }

    /// A timer on the runtime's clock at `at` (unless one is due sooner already).
    void schedule_wakeup(time_point at) {
        auto* h = host();
        if (!h) return;
        {
            std::lock_guard lock(mutex_);
            if (wakeup_at_ && *wakeup_at_ <= at && *wakeup_at_ > now()) return;
            wakeup_at_ = at;
        }
        h->schedule(at, [weak = weak_from_this(), at] {
            if (auto self = weak.lock()) self->on_wakeup(at);
        });
    }

    void on_wakeup(time_point at) {
        {
            std::lock_guard lock(mutex_);
            if (wakeup_at_ == at) wakeup_at_.reset();
        }
        if (!host()) return;
        try {
            renew_due(true);
            // Due runs are queued (and expired runs ended, lapsed leases rescued) now, on the timer,
            // whether or not a worker is free to claim.
            auto result = store_.maintain(owner_, now());
            for (const auto& ended : result.ended) owe_hooks_for(ended);
            publish();
            if (result.next_wakeup) schedule_wakeup(*result.next_wakeup);
        } catch (const std::exception&) {
            // The next claim does the same.
        }
        if (auto* h = host()) h->work_available();
    }

    // ---------------------------------------------------------------- logs

    /// Writes the pending log lines and stream chunks.
    void flush_pending() {
        // One flush at a time: a reader that finds the lines taken waits until they are written.
        std::lock_guard flushing(flush_mutex_);
        std::vector<std::pair<std::string, log_entry>> lines;
        std::vector<chunk_entry> chunks;
        {
            std::lock_guard lock(logs_mutex_);
            lines.swap(pending_logs_);
            chunks.swap(pending_chunks_);
        }
        std::exception_ptr failed;
        try {
            flush_chunks(chunks);
        } catch (...) {
            failed = std::current_exception();  // the chunks are pending again; the lines go on
        }
        flush_lines(lines);
        if (failed) std::rethrow_exception(failed);
    }

    void flush_lines(std::vector<std::pair<std::string, log_entry>>& lines) {
        if (lines.empty()) return;
        // In order, one write per run of consecutive lines of one run.
        std::size_t i = 0;
        while (i < lines.size()) {
            std::size_t j = i;
            std::vector<log_entry> entries;
            while (j < lines.size() && lines[j].first == lines[i].first)
                entries.push_back(std::move(lines[j++].second));
            try {
                store_.append_logs(lines[i].first, entries);
            } catch (const state_error&) {
                // The run is not in the file (a test's object): its lines stay on the object only.
            }
            i = j;
        }
    }

    /// One transaction for every chunk taken (of every run). When it fails (a busy file), the
    /// chunks go back before those appended meanwhile, for the next flush: none is lost.
    void flush_chunks(std::vector<chunk_entry>& chunks) {
        if (chunks.empty()) return;
        try {
            // The file keeps no more than the runtime does (nor than its own option says).
            const auto* host = host_.load();
            const auto bound = host ? std::min(store_.options().max_stream_chunks, host->max_stream_chunks())
                                    : store_.options().max_stream_chunks;
            store_.append_chunks(chunks, owner_, now(), bound);
        } catch (...) {
            std::lock_guard lock(logs_mutex_);
            chunks.insert(chunks.end(), std::make_move_iterator(pending_chunks_.begin()),
                          std::make_move_iterator(pending_chunks_.end()));
            pending_chunks_.swap(chunks);
            throw;
        }
    }

    void flush_pending_quietly() {
        try {
            flush_pending();
        } catch (const std::exception&) {
        }
    }

    // ---------------------------------------------------------------- the background thread

    void wake_thread() {
        std::lock_guard lock(thread_mutex_);
        thread_cv_.notify_one();
    }

    void stop_thread() {
        {
            std::lock_guard lock(thread_mutex_);
            thread_stop_ = true;
        }
        thread_cv_.notify_all();
        if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    }

    void background() {
        const auto& o = store_.options();
        const auto interval = std::min<std::chrono::milliseconds>(
            o.poll_interval, std::max<std::chrono::milliseconds>(std::chrono::milliseconds(1), o.lease_duration / 3));
        std::unique_lock lock(thread_mutex_);
        while (!thread_stop_) {
            thread_cv_.wait_for(lock, interval);
            if (thread_stop_) break;
            lock.unlock();
            try {
                flush_pending();
                renew_due(true);
                publish(false);
                grant_pending();
            } catch (const std::exception&) {
                // A busy file or a full disk: the next round tries again.
            }
            lock.lock();
        }
    }

    // ---------------------------------------------------------------- state

    store store_;
    const std::string owner_;
    std::atomic<backend_host*> host_{nullptr};
    std::shared_ptr<taskkit::clock> clock_;
    registry* registry_ = nullptr;
    machine capacity_{0, 0};
    std::atomic<bool> stopping_{false};

    /// Serializes what reads the budget and claims against it (claims, finishes, resumes), so that
    /// two workers of this process never both spend the same free machine.
    std::mutex claim_mutex_;
    mutable std::mutex mutex_;  // leases_, token_of_, locals_, declared_, wakeup_at_
    std::unordered_map<std::int64_t, held_lease> leases_;
    std::unordered_map<std::string, std::int64_t> token_of_;
    std::unordered_map<std::string, std::weak_ptr<local_run>> locals_;
    std::unordered_set<std::string> trailing_;  ///< runs a trailing debounce created or joined here, until claimed
    std::size_t locals_swept_at_ = 64;
    std::unordered_set<std::string> declared_;
    std::optional<time_point> wakeup_at_;

    std::mutex events_mutex_;
    std::condition_variable events_cv_;
    bool delivering_ = false;
    std::thread::id deliverer_;
    bool more_ = false;
    std::int64_t delivered_seq_ = 0;  ///< the last event reported to the runtime
    time_point delivered_at_;         ///< when the file made it (attach: the attach time)

    std::mutex flush_mutex_;  // taken before logs_mutex_
    std::mutex logs_mutex_;
    std::vector<std::pair<std::string, log_entry>> pending_logs_;
    std::vector<chunk_entry> pending_chunks_;

    std::mutex updates_mutex_;
    /// The last metadata event this process wrote per run, until every event before it is delivered.
    std::unordered_map<std::string, std::int64_t> written_seq_;
    /// Events this process wrote that its own runtime must hear of too.
    std::unordered_set<std::int64_t> redeliver_;

    std::mutex thread_mutex_;
    std::condition_variable thread_cv_;
    bool thread_stop_ = false;
    std::thread thread_;
};

}  // namespace taskkit::sqlite::detail

namespace taskkit {

std::shared_ptr<backend> sqlite_backend(sqlite_options options) {
    return std::make_shared<sqlite::detail::sqlite_backend>(options);
}

}  // namespace taskkit
