// Claiming runs and the leases of their attempts: the claim transaction, finish, renew, and the
// slot a waiting run gives back and takes again (store.hpp).
//
// What makes the rules hold across processes: every claim is one IMMEDIATE transaction, so claims
// on one file are serialized and each sees the commits of the ones before it. The counts a claim
// checks (queued, executing and resuming runs per queue and per concurrency key) are kept by
// triggers on the runs table, in the same transaction as the status change that moves them, so
// they cannot drift from the statuses. Rate windows are rows of rate_starts, fair rotation is the
// `turn` of each queue and key (a key that starts a run, or that gets its first queued run, goes to
// the back of the line), and priority is the runs' rank. docs/durable-runs.md tells the algorithm.
//
// The queries that run at every claim name their partial index (INDEXED BY): SQLite's planner,
// without statistics, would otherwise pick runs_status and read every queued run. A query that can
// no longer use its index then fails at once instead of slowing down.
#include <algorithm>

#include <fmt/format.h>

#include "sqlite/codec.hpp"
#include "sqlite/database.hpp"
#include "sqlite/store.hpp"

namespace taskkit::sqlite::detail {
namespace {

/// Rows each maintenance step handles per claim, so that one claim stays short after a long
/// downtime (the next claim goes on where it stopped).
constexpr int maintenance_batch = 500;

/// A machine of 0/0 holds nothing of the budget: it always fits.
bool fits(const machine& m, const machine& free) { return (m.cpu == 0 && m.memory == 0) || m.fits_in(free); }

void take(machine& free, const machine& m) {
    free.cpu -= m.cpu;
    free.memory -= m.memory;
}

void earliest(std::optional<time_point>& wake, time_point at) {
    if (!wake || at < *wake) wake = at;
}

std::string lease_lost_message(int attempt, int in_budget, int max_attempts, bool out) {
    if (out)
        return fmt::format(
            "the worker executing attempt {} stopped renewing its lease (its process died or hung) and the run has no "
            "attempt left ({} of {})",
            attempt, in_budget, max_attempts);
    return fmt::format(
        "the worker executing attempt {} stopped renewing its lease (its process died or hung): the run was queued "
        "for another attempt",
        attempt);
}

error_info default_error(run_status status) {
    switch (status) {
        case run_status::timed_out:
            return make_error("taskkit::timed_out_error", "the run exceeded its max_duration",
                              error_code::run_timed_out);
        case run_status::canceled:
            return make_error("taskkit::canceled_error", "the run was canceled", error_code::run_canceled);
        default:
            return make_error("taskkit::error", "the run failed", error_code::run_failed);
    }
}

struct slot_view {
    int limit = 0;
    int total_limit = 0;
    int queue_executing = 0;
    int key_executing = 0;
    int key_resuming = 0;
    int rate_limit = 0;
    std::int64_t rate_period_ns = 0;
    int key_rate_limit = 0;
    std::int64_t key_rate_period_ns = 0;
    bool paused = false;

    [[nodiscard]] bool key_has_slot() const { return limit == 0 || key_executing < limit; }
    [[nodiscard]] bool total_has_slot() const { return total_limit == 0 || queue_executing < total_limit; }
};

slot_view slots_of(connection& conn, std::string_view queue, std::string_view key) {
    auto st = conn.prepare(R"sql(
SELECT coalesce(q.limit_override, q.concurrency_limit), q.total_limit, q.executing, coalesce(k.executing, 0),
       coalesce(k.resuming, 0), q.rate_limit, q.rate_period_ns, q.key_rate_limit, q.key_rate_period_ns, q.paused
FROM queues q LEFT JOIN keys k ON k.queue = q.name AND k.key = ?2 WHERE q.name = ?1)sql");
    st.bind(1, queue).bind(2, key);
    slot_view v;
    if (st.step())
        v = slot_view{st.int32(0), st.int32(1), st.int32(2), st.int32(3), st.int32(4),
                      st.int32(5), st.int64(6), st.int32(7), st.int64(8), st.int32(9) != 0};
    return v;
}

/// When a rate window of `limit` starts per `period_ns` next allows a start, if it allows none now:
/// the limit-th most recent start in the window, plus the period (the memory backend's rule).
std::optional<std::int64_t> window_blocked(connection& conn, std::string_view queue, const std::string* key, int limit,
                                           std::int64_t period_ns, std::int64_t now_ns) {
    if (limit <= 0) return std::nullopt;
    auto st = key ? conn.prepare(
                        "SELECT at FROM rate_starts WHERE queue = ?1 AND key = ?2 AND at > ?3 ORDER BY at DESC "
                        "LIMIT 1 OFFSET ?4")
                  : conn.prepare(
                        "SELECT at FROM rate_starts WHERE queue = ?1 AND at > ?2 ORDER BY at DESC LIMIT 1 OFFSET ?3");
    int i = 0;
    st.bind(++i, queue);
    if (key) st.bind(++i, *key);
    st.bind(++i, now_ns - period_ns);
    st.bind(++i, limit - 1);
    if (!st.step()) return std::nullopt;
    return st.int64(0) + period_ns;
}

/// Whether the sorted `names` hold `name`.
bool sorted_contains(std::span<const std::string> names, std::string_view name) {
    return std::binary_search(names.begin(), names.end(), name,
                              [](const auto& a, const auto& b) { return std::string_view(a) < std::string_view(b); });
}

}  // namespace

// ------------------------------------------------------------------------------------ maintenance

void store::maintain_locked(time_point now, claim_result& out) {
    const auto now_ns = to_ns(now);
    // ttl: a queued or delayed run that never started ends expired.
    writer_
        ->prepare(R"sql(
UPDATE runs SET status = 'expired', finished_at = ?1, run_at = NULL, error = ?2, updated_at = ?1
WHERE id IN (SELECT id FROM runs INDEXED BY runs_ttl WHERE expires_at IS NOT NULL AND status IN ('queued', 'delayed')
             AND attempts_started = 0 AND expires_at <= ?1 LIMIT ?3))sql")
        .bind(1, now_ns)
        .bind(2, error_text(make_error("taskkit::expired_error", "the run did not start within its ttl",
                                       error_code::run_expired)))
        .bind(3, maintenance_batch)
        .run();
    out.expired += static_cast<std::size_t>(writer_->changes());

    // Delayed and retrying runs whose time has come are queued (delays are absolute times: a run
    // due while every process was down is queued by the first claim after).
    std::vector<std::string> due;
    {
        auto st = writer_->prepare(
            "SELECT id FROM runs INDEXED BY runs_due WHERE status IN ('delayed', 'retrying') AND run_at <= ?1 ORDER BY "
            "run_at LIMIT ?2");
        st.bind(1, now_ns).bind(2, maintenance_batch);
        while (st.step()) due.push_back(st.text(0));
    }
    for (const auto& id : due) {
        writer_
            ->prepare(
                "UPDATE runs SET status = 'queued', run_at = NULL, queue_order = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(1, id)
            .bind(2, next_seq())
            .bind(3, now_ns)
            .run();
    }
    out.released += due.size();

    // Leases that expired: the process holding them died (or hung). The attempt ends; the run gets
    // a new one, or ends crashed when it has none left (canceled when its cancel was requested).
    struct expired_lease {
        std::string id;
        std::string task_id;
        int attempts_started;
        int budget_start;
        int max_attempts;
        bool cancel_requested;
    };
    std::vector<expired_lease> lapsed;
    {
        auto st = writer_->prepare(R"sql(
SELECT id, task_id, attempts_started, budget_start, max_attempts, cancel_requested FROM runs INDEXED BY runs_lease
WHERE status IN ('executing', 'waiting') AND lease_expires_at <= ?1 ORDER BY lease_expires_at LIMIT ?2)sql");
        st.bind(1, now_ns).bind(2, maintenance_batch);
        while (st.step())
            lapsed.push_back({st.text(0), st.text(1), st.int32(2), st.int32(3), st.int32(4), st.int64(5) != 0});
    }
    for (const auto& run : lapsed) {
        const int in_budget = run.attempts_started - run.budget_start;
        const bool out_of_attempts = in_budget >= run.max_attempts;
        const auto attempt_error = make_error("taskkit::error",
                                              lease_lost_message(run.attempts_started, in_budget, run.max_attempts,
                                                                 out_of_attempts && !run.cancel_requested),
                                              error_code::run_crashed);
        writer_
            ->prepare(
                "UPDATE attempts SET finished_at = ?3, error = ?4 WHERE run_id = ?1 AND number = ?2 AND finished_at IS "
                "NULL")
            .bind(1, run.id)
            .bind(2, run.attempts_started)
            .bind(3, now_ns)
            .bind(4, error_text(attempt_error))
            .run();
        if (run.cancel_requested || out_of_attempts) {
            const auto status = run.cancel_requested ? run_status::canceled : run_status::crashed;
            const auto error = run.cancel_requested ? make_error("taskkit::canceled_error", "the run was canceled",
                                                                 error_code::run_canceled)
                                                    : attempt_error;
            writer_
                ->prepare(R"sql(
UPDATE runs SET status = ?2, error = ?3, finished_at = ?4, run_at = NULL, lease_owner = NULL, lease_token = NULL,
  lease_expires_at = NULL, wait = NULL, waiting_for = NULL, resume_requested = NULL, updated_at = ?4 WHERE id = ?1)sql")
                .bind(1, run.id)
                .bind(2, to_string(status))
                .bind(3, error_text(error))
                .bind(4, now_ns)
                .run();
            out.ended.push_back(ended_run{run.id, run.task_id, status});
            ++out.crashed;
        } else {
            writer_
                ->prepare(R"sql(
UPDATE runs SET status = 'queued', queue_order = ?2, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
  wait = NULL, waiting_for = NULL, resume_requested = NULL, generation = generation + 1, updated_at = ?3 WHERE id = ?1)sql")
                .bind(1, run.id)
                .bind(2, next_seq())
                .bind(3, now_ns)
                .run();
            ++out.rescued;
        }
    }
}

void store::wakeup_locked(connection& conn, std::string_view owner, std::optional<time_point>& wake) {
    auto consider = [&](const char* sql, bool with_owner) {
        auto st = conn.prepare(sql);
        if (with_owner) st.bind(1, owner);
        if (st.step() && !st.is_null(0)) earliest(wake, from_ns(st.int64(0)));
    };
    consider("SELECT min(run_at) FROM runs INDEXED BY runs_due WHERE status IN ('delayed', 'retrying')", false);
    consider(
        "SELECT min(expires_at) FROM runs INDEXED BY runs_ttl WHERE expires_at IS NOT NULL AND status IN ('queued', "
        "'delayed') AND "
        "attempts_started = 0",
        false);
    // The leases of other processes (the caller renews its own): when one lapses, its run is rescued.
    consider(
        "SELECT lease_expires_at FROM runs INDEXED BY runs_lease WHERE status IN ('executing', 'waiting') AND "
        "lease_owner IS NOT ?1 ORDER BY lease_expires_at LIMIT 1",
        true);
}

std::optional<time_point> store::next_wakeup(std::string_view owner) {
    std::lock_guard lock(read_mutex_);
    return reader_->read("reading when runs become due", [&] {
        std::optional<time_point> wake;
        wakeup_locked(*reader_, owner, wake);
        return wake;
    });
}

claim_result store::maintain(std::string_view owner, time_point now) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("releasing due runs", [&] {
        claim_result out;
        maintain_locked(now, out);
        wakeup_locked(*writer_, owner, out.next_wakeup);
        return out;
    });
}

// ------------------------------------------------------------------------------------ claiming

claim_result store::claim(const claim_request& request) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("claiming runs", [&] { return claim_locked(request); });
}

claim_result store::claim_locked(const claim_request& request) {
    claim_result out;
    maintain_locked(request.now, out);
    machine free = request.free;
    grant_resumers_locked(request.owner, free, request.now, out.resumed);
    std::optional<time_point> wake;
    while (out.runs.size() < request.max_runs) {
        auto run = pick_locked(request.owner, request.tasks, request.busy, request.now, free, wake);
        if (!run) break;
        out.runs.push_back(std::move(*run));
    }
    wakeup_locked(*writer_, request.owner, wake);
    out.next_wakeup = wake;
    const auto now_ns = to_ns(request.now);
    if (++claims_since_prune_ >= 256 || now_ns - last_prune_ns_ >= 10'000'000'000) prune_locked(request.now);
    return out;
}

std::optional<claimed> store::pick_locked(std::string_view owner, std::span<const std::string> tasks,
                                          std::span<const std::string> busy, time_point now, machine& free,
                                          std::optional<time_point>& wake) {
    const auto now_ns = to_ns(now);
    std::optional<std::string> chosen;
    machine chosen_machine{0, 0};
    {
        // Queues in rotation order: a queue that started a run goes to the back.
        auto queues = writer_->prepare(R"sql(
SELECT name, coalesce(limit_override, concurrency_limit), total_limit, rate_limit, rate_period_ns, key_rate_limit,
       key_rate_period_ns, queued, executing, resuming
FROM queues WHERE (queued > 0 OR resuming > 0) AND paused = 0 ORDER BY turn)sql");
        while (!chosen && queues.step()) {
            if (queues.int64(7) == 0) continue;  // only waiting runs asking their slot back
            const std::string name = queues.text(0);
            const int limit = queues.int32(1);
            const int total = queues.int32(2);
            const int executing = queues.int32(8);
            if (total > 0) {
                if (executing >= total) continue;
                if (queues.int64(9) > 0) {
                    // Waiting runs that asked their slot back take the free slots of the cap first.
                    auto st = writer_->prepare(
                        "SELECT coalesce(sum(resuming), 0) FROM keys WHERE queue = ?1 AND resuming > 0 AND "
                        "(?2 = 0 OR executing < ?2)");
                    st.bind(1, name).bind(2, limit);
                    if (st.step() && executing + st.int64(0) >= total) continue;
                }
            }
            if (auto next = window_blocked(*writer_, name, nullptr, queues.int32(3), queues.int64(4), now_ns)) {
                earliest(wake, from_ns(*next));
                continue;
            }
            const int key_rate = queues.int32(5);
            const auto key_period = queues.int64(6);
            // Its keys in rotation order, those with a free slot and no waiting run asking theirs back.
            auto keys = writer_->prepare(
                "SELECT key FROM keys WHERE queue = ?1 AND queued > 0 AND resuming = 0 AND (?2 = 0 OR executing < ?2) "
                "ORDER BY turn");
            keys.bind(1, name).bind(2, limit);
            while (keys.step()) {
                const std::string key = keys.text(0);
                if (auto next = window_blocked(*writer_, name, &key, key_rate, key_period, now_ns)) {
                    earliest(wake, from_ns(*next));
                    continue;
                }
                // The key's first run by rank (creation time minus priority), then FIFO. A run
                // whose older attempt still runs in the caller's process (its lease lapsed there and
                // was rescued) is passed over for the next: it is left for another process, or for
                // this one once that attempt has returned; a hung attempt holds up no other run.
                auto head = writer_->prepare(
                    "SELECT id, machine_cpu, machine_memory, task_id FROM runs WHERE queue = ?1 AND concurrency_key = "
                    "?2 "
                    "AND status = 'queued' ORDER BY rank, queue_order LIMIT ?3");
                head.bind(1, name).bind(2, key).bind(3, static_cast<std::int64_t>(busy.size()) + 1);
                bool found = false;
                while ((found = head.step()) && sorted_contains(busy, head.text_view(0))) {
                }
                if (!found) continue;
                // A run of a task the caller does not define stays first of its key, for a process
                // that does.
                if (!tasks.empty() && !sorted_contains(tasks, head.text_view(3))) continue;
                const machine m{head.real(1), head.real(2)};
                // A run whose machine does not fit this process's budget stays first of its key (order
                // is kept): another process, or this one later, takes it.
                if (!fits(m, free)) continue;
                chosen = head.text(0);
                chosen_machine = m;
                break;
            }
        }
    }
    if (!chosen) return std::nullopt;
    take(free, chosen_machine);
    return start_locked(*chosen, owner, now);
}

claimed store::start_locked(std::string_view run_id, std::string_view owner, time_point now) {
    const auto now_ns = to_ns(now);
    claimed out;
    out.lease.run_id = std::string(run_id);
    out.lease.owner = std::string(owner);
    out.lease.token = new_token();
    out.lease.expires_at = now + options_.lease_duration;
    std::string queue;
    std::string key;
    int budget_start = 0;
    {
        auto st = writer_->prepare(R"sql(
UPDATE runs SET status = 'executing', attempts_started = attempts_started + 1, started_at = coalesce(started_at, ?2),
  run_at = NULL, lease_owner = ?3, lease_token = ?4, lease_expires_at = ?5, wait = NULL, waiting_for = NULL, resume_requested = NULL,
  updated_at = ?2
WHERE id = ?1 AND status = 'queued'
RETURNING attempts_started, budget_start, max_attempts, max_duration_ms, queue, concurrency_key)sql");
        st.bind(1, run_id).bind(2, now_ns).bind(3, owner).bind(4, out.lease.token).bind(5, to_ns(out.lease.expires_at));
        if (!st.step()) throw state_error(fmt::format("run {} is not queued: it cannot be claimed", run_id));
        out.lease.attempt = st.int32(0);
        budget_start = st.int32(1);
        out.max_attempts = st.int32(2);
        out.max_duration = std::chrono::milliseconds(st.int64(3));
        queue = st.text(4);
        key = st.text(5);
        st.run();
    }
    out.attempt_in_budget = out.lease.attempt - budget_start;
    writer_->prepare("INSERT INTO attempts(run_id, number, started_at, owner) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, run_id)
        .bind(2, out.lease.attempt)
        .bind(3, now_ns)
        .bind(4, owner)
        .run();
    record_start_locked(queue, key, now);
    // Fair rotation: the key goes to the back of its queue's line, and the queue to the back of the queues'.
    const auto turn = next_seq();
    writer_->prepare("UPDATE keys SET turn = ?3 WHERE queue = ?1 AND key = ?2")
        .bind(1, queue)
        .bind(2, key)
        .bind(3, turn)
        .run();
    writer_->prepare("UPDATE queues SET turn = ?2 WHERE name = ?1").bind(1, queue).bind(2, turn).run();
    auto record = find_locked(*writer_, run_id);
    if (record) out.record = std::move(*record);
    return out;
}

void store::record_start_locked(std::string_view queue, std::string_view key, time_point now) {
    auto st = writer_->prepare(
        "SELECT rate_limit, rate_period_ns, key_rate_limit, key_rate_period_ns FROM queues WHERE name = ?1");
    st.bind(1, queue);
    if (!st.step()) return;
    if (st.int64(0) <= 0 && st.int64(2) <= 0) return;  // no rate limit: nothing to count
    const auto longest = std::max(st.int64(0) > 0 ? st.int64(1) : 0, st.int64(2) > 0 ? st.int64(3) : 0);
    const auto now_ns = to_ns(now);
    writer_->prepare("INSERT INTO rate_starts(queue, key, at) VALUES (?1, ?2, ?3)")
        .bind(1, queue)
        .bind(2, key)
        .bind(3, now_ns)
        .run();
    // Starts outside every window of the queue count no more.
    writer_->prepare("DELETE FROM rate_starts WHERE queue = ?1 AND at <= ?2")
        .bind(1, queue)
        .bind(2, now_ns - longest)
        .run();
}

std::optional<claimed> store::claim_run(std::string_view run_id, std::string_view owner, time_point now, machine free) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("claiming a run", [&]() -> std::optional<claimed> {
        std::string queue;
        std::string key;
        machine m{0, 0};
        {
            auto st = writer_->prepare(
                "SELECT status, queue, concurrency_key, machine_cpu, machine_memory FROM runs WHERE id = ?1");
            st.bind(1, run_id);
            if (!st.step() || st.text_view(0) != "queued") return std::nullopt;
            queue = st.text(1);
            key = st.text(2);
            m = machine{st.real(3), st.real(4)};
        }
        const auto v = slots_of(*writer_, queue, key);
        if (v.paused || !v.key_has_slot() || !v.total_has_slot() || v.key_resuming > 0 || !fits(m, free))
            return std::nullopt;
        const auto now_ns = to_ns(now);
        if (window_blocked(*writer_, queue, nullptr, v.rate_limit, v.rate_period_ns, now_ns) ||
            window_blocked(*writer_, queue, &key, v.key_rate_limit, v.key_rate_period_ns, now_ns))
            return std::nullopt;
        return start_locked(run_id, owner, now);
    });
}

// ------------------------------------------------------------------------------------ finishing

finish_result store::finish(const lease_info& lease, const outcome& result, time_point now, const claim_request* next) {
    switch (result.status) {
        case run_status::completed:
        case run_status::failed:
        case run_status::retrying:
        case run_status::canceled:
        case run_status::timed_out:
            break;
        default:
            throw options_error(
                fmt::format("an attempt cannot end {}: completed, failed, retrying, canceled or "
                            "timed_out",
                            to_string(result.status)));
    }
    std::lock_guard lock(write_mutex_);
    return writer_->write("finishing an attempt", [&] {
        finish_result out;
        const auto now_ns = to_ns(now);
        bool cancel_requested = false;
        {
            auto st = writer_->prepare("SELECT status, lease_token, cancel_requested FROM runs WHERE id = ?1");
            st.bind(1, lease.run_id);
            if (!st.step()) return out;
            const auto status = st.text_view(0);
            if ((status != "executing" && status != "waiting") || st.is_null(1) || st.int64(1) != lease.token)
                return out;  // the lease was lost: the run was rescued, and this outcome is refused
            cancel_requested = st.int64(2) != 0;
        }
        out.accepted = true;
        std::optional<error_info> attempt_error;
        if (result.status != run_status::completed)
            attempt_error = result.error ? *result.error : default_error(result.status);
        run_status status = result.status;
        bool requeue = false;
        if (result.interrupted && status != run_status::completed && !cancel_requested) {
            // The runtime shut down during the attempt: the run waits for another process (or the
            // next start), and the interrupted attempt does not count against max_attempts.
            requeue = true;
            status = run_status::queued;
            attempt_error = make_error("taskkit::runtime_stopped_error",
                                       "the runtime shut down during the attempt; the run was queued again",
                                       error_code::runtime_stopped);
        } else if (status == run_status::retrying && cancel_requested) {
            status = run_status::canceled;  // canceled between the attempt and now
            out.ended_between_attempts = true;
        }
        writer_->prepare("UPDATE attempts SET finished_at = ?3, error = ?4 WHERE run_id = ?1 AND number = ?2")
            .bind(1, lease.run_id)
            .bind(2, lease.attempt)
            .bind(3, now_ns)
            .bind(4, attempt_error ? std::optional<std::string>(error_text(*attempt_error)) : std::nullopt)
            .run();
        auto st = writer_->prepare(R"sql(
UPDATE runs SET status = ?2, output = ?3, error = ?4, finished_at = ?5, run_at = ?6, queue_order = ?7,
  budget_start = budget_start + ?8, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, wait = NULL, waiting_for = NULL,
  resume_requested = NULL, updated_at = ?9
WHERE id = ?1)sql");
        st.bind(1, lease.run_id).bind(2, to_string(status));
        if (status == run_status::completed)
            st.bind(3, json_text(result.output));
        else
            st.bind(3, nullptr);
        if (is_terminal(status) && status != run_status::completed) {
            const auto error = out.ended_between_attempts ? make_error("taskkit::canceled_error",
                                                                       "the run was canceled", error_code::run_canceled)
                                                          : *attempt_error;
            st.bind(4, error_text(error));
        } else {
            st.bind(4, nullptr);
        }
        if (is_terminal(status))
            st.bind(5, now_ns);
        else
            st.bind(5, nullptr);
        if (status == run_status::retrying)
            st.bind(6, to_ns(result.retry_at.value_or(now)));
        else
            st.bind(6, nullptr);
        st.bind(7, requeue ? next_seq() : std::int64_t{0}).bind(8, requeue ? 1 : 0).bind(9, now_ns).run();
        out.status = status;
        if (next) out.next = claim_locked(*next);
        return out;
    });
}

lease_state store::renew(const lease_info& lease, time_point now) { return renew(std::span(&lease, 1), now).front(); }

std::vector<lease_state> store::renew(std::span<const lease_info> leases, time_point now) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("renewing leases", [&] {
        std::vector<lease_state> out;
        out.reserve(leases.size());
        const auto expires = to_ns(now + options_.lease_duration);
        for (const auto& lease : leases) {
            auto st = writer_->prepare(R"sql(
UPDATE runs SET lease_expires_at = ?3
WHERE id = ?1 AND lease_token = ?2 AND status IN ('executing', 'waiting') RETURNING cancel_requested)sql");
            st.bind(1, lease.run_id).bind(2, lease.token).bind(3, expires);
            if (!st.step()) {
                out.push_back(lease_state::lost);
                continue;
            }
            out.push_back(st.int64(0) != 0 ? lease_state::cancel_requested : lease_state::held);
            st.run();
        }
        return out;
    });
}

// ------------------------------------------------------------------------------------ waits

bool store::suspend(const lease_info& lease, const wait_info& what, time_point now) {
    nlohmann::json wait;
    wait["runs"] = what.runs;
    wait["any"] = what.any;
    if (what.until) wait["until"] = to_ns(*what.until);
    if (!what.token.empty()) wait["token"] = what.token;
    std::lock_guard lock(write_mutex_);
    return writer_->write("suspending a run", [&] {
        auto st = writer_->prepare(R"sql(
UPDATE runs SET status = 'waiting', wait = ?3, resume_requested = NULL, updated_at = ?4, waiting_for = ?5
WHERE id = ?1 AND lease_token = ?2 AND status = 'executing')sql");
        st.bind(1, lease.run_id).bind(2, lease.token).bind(3, wait.dump()).bind(4, to_ns(now));
        if (what.shown)
            st.bind(5, waiting_for_text(*what.shown));
        else
            st.bind(5, nullptr);
        st.run();
        return writer_->changes() == 1;
    });
}

resume_state store::resume(const lease_info& lease, machine free, time_point now) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("resuming a run", [&] {
        std::string queue;
        std::string key;
        machine m{0, 0};
        {
            auto st = writer_->prepare(R"sql(
SELECT status, lease_token, queue, concurrency_key, machine_cpu, machine_memory, resume_requested FROM runs
WHERE id = ?1)sql");
            st.bind(1, lease.run_id);
            if (!st.step() || st.text_view(0) != "waiting" || st.is_null(1) || st.int64(1) != lease.token)
                return resume_state::lost;
            if (!st.is_null(6)) return resume_state::pending;
            queue = st.text(2);
            key = st.text(3);
            m = machine{st.real(4), st.real(5)};
        }
        const auto v = slots_of(*writer_, queue, key);
        const auto now_ns = to_ns(now);
        if (v.key_resuming == 0 && v.key_has_slot() && v.total_has_slot() && fits(m, free)) {
            writer_
                ->prepare(
                    "UPDATE runs SET status = 'executing', wait = NULL, waiting_for = NULL, resume_requested = NULL, "
                    "updated_at = ?2 WHERE "
                    "id = ?1")
                .bind(1, lease.run_id)
                .bind(2, now_ns)
                .run();
            return resume_state::granted;
        }
        // Served before any new claim of its key (and of its queue's cap).
        writer_->prepare("UPDATE runs SET resume_requested = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(1, lease.run_id)
            .bind(2, next_seq())
            .bind(3, now_ns)
            .run();
        return resume_state::pending;
    });
}

std::vector<std::string> store::grant_resumers(std::string_view owner, machine free, time_point now) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("granting waiting runs their slot", [&] {
        std::vector<std::string> out;
        grant_resumers_locked(owner, free, now, out);
        return out;
    });
}

void store::grant_resumers_locked(std::string_view owner, machine& free, time_point now,
                                  std::vector<std::string>& out) {
    struct resumer {
        std::string id;
        std::string queue;
        std::string key;
        machine m;
    };
    std::vector<resumer> waiting;
    {
        auto st = writer_->prepare(R"sql(
SELECT id, queue, concurrency_key, machine_cpu, machine_memory FROM runs INDEXED BY runs_resumers
WHERE resume_requested IS NOT NULL AND status = 'waiting' AND lease_owner = ?1 ORDER BY resume_requested)sql");
        st.bind(1, owner);
        while (st.step()) waiting.push_back({st.text(0), st.text(1), st.text(2), machine{st.real(3), st.real(4)}});
    }
    for (const auto& r : waiting) {
        const auto v = slots_of(*writer_, r.queue, r.key);
        if (!v.key_has_slot() || !v.total_has_slot() || !fits(r.m, free)) continue;
        writer_
            ->prepare(
                "UPDATE runs SET status = 'executing', wait = NULL, waiting_for = NULL, resume_requested = NULL, "
                "updated_at = ?2 WHERE id "
                "= "
                "?1")
            .bind(1, r.id)
            .bind(2, to_ns(now))
            .run();
        take(free, r.m);
        out.push_back(r.id);
    }
}

}  // namespace taskkit::sqlite::detail
