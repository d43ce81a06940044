// The store (store.hpp): opening, queues, creating runs, reading them back, what attempts write,
// schedule fires, events and pruning. Claiming and leases are in claim.cpp, control (cancel,
// retry, reschedule) in control.cpp.
#include "sqlite/store.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include <taskkit/detail/time_math.hpp>

#include "sqlite/codec.hpp"
#include "sqlite/database.hpp"
#include "sqlite/schema.hpp"
#include "sqlite/store_sql.hpp"

namespace taskkit::sqlite::detail {

std::int64_t to_ns(time_point t) noexcept {
    if (t == time_point::max()) return std::numeric_limits<std::int64_t>::max();
    if (t == time_point::min()) return std::numeric_limits<std::int64_t>::min();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

time_point from_ns(std::int64_t ns) noexcept {
    if (ns == std::numeric_limits<std::int64_t>::max()) return time_point::max();
    if (ns == std::numeric_limits<std::int64_t>::min()) return time_point::min();
    return time_point(std::chrono::duration_cast<time_point::duration>(std::chrono::nanoseconds(ns)));
}

namespace {

connection_options connection_options_of(const sqlite_options& options) {
    return connection_options{
        .path = options.path, .read_only = options.read_only, .busy_timeout = options.busy_timeout};
}

}  // namespace

store::store(const sqlite_options& options) : options_(options), random_(std::random_device{}()) {
    if (options_.path.empty())
        throw sqlite_open_error(0, options_.path,
                                "taskkit: sqlite_options::path is empty: name the database file (it is created when "
                                "missing)");
    writer_ = std::make_unique<connection>(connection_options_of(options_));
    if (options_.read_only) {
        check_schema_read_only(*writer_);
        opened_at_ = schema_version;
    } else {
        opened_at_ = open_schema(*writer_, options_.synchronous == sqlite_synchronous::full);
    }
    reader_ = std::make_unique<connection>(connection_options_of(options_));
    reader_->exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
}

store::~store() = default;

std::int64_t store::next_seq() {
    auto st = writer_->prepare("UPDATE meta SET value = value + 1 WHERE key = 'seq' RETURNING value");
    if (!st.step())
        throw sqlite_corrupt_error(0, options_.path, "taskkit: the database's meta table lacks its 'seq' row");
    return st.int64(0);
}

std::int64_t store::new_token() {
    std::int64_t token = 0;
    while (token == 0) token = static_cast<std::int64_t>(random_() >> 1);
    return token;
}

// ------------------------------------------------------------------------------------ queues

void store::declare_queue(const queue_options& queue, time_point now) {
    std::lock_guard lock(write_mutex_);
    writer_->write("declaring a queue", [&] {
        auto st = writer_->prepare(R"sql(
INSERT INTO queues(name, concurrency_limit, total_limit, rate_limit, rate_period_ns, key_rate_limit,
                   key_rate_period_ns, declared_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT(name) DO UPDATE SET concurrency_limit = excluded.concurrency_limit, total_limit = excluded.total_limit,
  rate_limit = excluded.rate_limit, rate_period_ns = excluded.rate_period_ns, key_rate_limit = excluded.key_rate_limit,
  key_rate_period_ns = excluded.key_rate_period_ns, declared_at = excluded.declared_at)sql");
        auto period_ns = [](const std::optional<rate_limit>& r) -> std::int64_t {
            return r ? std::chrono::duration_cast<std::chrono::nanoseconds>(r->period).count() : 0;
        };
        st.bind(1, queue.name)
            .bind(2, queue.concurrency_limit)
            .bind(3, queue.total_concurrency_limit)
            .bind(4, queue.rate_limit ? queue.rate_limit->limit : 0)
            .bind(5, period_ns(queue.rate_limit))
            .bind(6, queue.key_rate_limit ? queue.key_rate_limit->limit : 0)
            .bind(7, period_ns(queue.key_rate_limit))
            .bind(8, to_ns(now))
            .run();
    });
}

std::vector<queue_stats> store::queues() {
    std::lock_guard lock(read_mutex_);
    return reader_->read("reading the queues", [&] {
        std::vector<queue_stats> out;
        {
            auto st = reader_->prepare(R"sql(
SELECT name, queued, executing, coalesce(limit_override, concurrency_limit), concurrency_limit,
       limit_override IS NOT NULL, total_limit, paused, rate_limit, rate_period_ns, key_rate_limit, key_rate_period_ns
FROM queues ORDER BY name)sql");
            auto rate_of = [&](int column) -> std::optional<rate_limit> {
                if (st.int32(column) <= 0) return std::nullopt;
                return rate_limit{.limit = st.int32(column),
                                  .period = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::nanoseconds(st.int64(column + 1)))};
            };
            while (st.step())
                out.push_back(queue_stats{.name = st.text(0),
                                          .queued = st.int32(1),
                                          .executing = st.int32(2),
                                          .limit = st.int32(3),
                                          .declared_limit = st.int32(4),
                                          .limit_overridden = st.int32(5) != 0,
                                          .total_limit = st.int32(6),
                                          .paused = st.int32(7) != 0,
                                          .rate = rate_of(8),
                                          .key_rate = rate_of(10)});
        }
        auto find = [&](std::string_view name) -> queue_stats* {
            auto it = std::lower_bound(out.begin(), out.end(), name,
                                       [](const queue_stats& q, std::string_view n) { return q.name < n; });
            return it != out.end() && it->name == name ? &*it : nullptr;
        };
        {
            auto st = reader_->prepare(
                "SELECT queue, count(*) FROM runs INDEXED BY runs_status WHERE status = 'waiting' GROUP BY queue");
            while (st.step())
                if (auto* q = find(st.text_view(0))) q->waiting = st.int32(1);
        }
        {
            auto st = reader_->prepare(
                "SELECT queue, key, queued, executing FROM keys WHERE key <> '' AND (queued > 0 OR executing > 0) "
                "ORDER BY queue, key");
            while (st.step())
                if (auto* q = find(st.text_view(0)))
                    q->keys.push_back(
                        queue_key_stats{.key = st.text(1), .queued = st.int32(2), .executing = st.int32(3)});
        }
        return out;
    });
}

bool store::set_paused(std::string_view queue, bool paused) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("pausing or resuming a queue", [&] {
        writer_->prepare("UPDATE queues SET paused = ?2 WHERE name = ?1").bind(1, queue).bind(2, paused ? 1 : 0).run();
        return writer_->changes() > 0;
    });
}

bool store::set_limit_override(std::string_view queue, std::optional<int> limit) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("overriding a queue's concurrency limit", [&] {
        writer_->prepare("UPDATE queues SET limit_override = ?2 WHERE name = ?1").bind(1, queue).bind(2, limit).run();
        return writer_->changes() > 0;
    });
}

queue_counts store::counts(std::string_view queue, std::optional<std::string_view> key) {
    std::lock_guard lock(read_mutex_);
    return reader_->read("reading a queue's counts", [&] {
        queue_counts c;
        if (key) {
            auto st = reader_->prepare("SELECT queued, executing, resuming FROM keys WHERE queue = ?1 AND key = ?2");
            st.bind(1, queue).bind(2, *key);
            if (st.step()) c = {st.int32(0), st.int32(1), st.int32(2)};
        } else {
            auto st = reader_->prepare("SELECT queued, executing, resuming FROM queues WHERE name = ?1");
            st.bind(1, queue);
            if (st.step()) c = {st.int32(0), st.int32(1), st.int32(2)};
        }
        return c;
    });
}

// ------------------------------------------------------------------------------------ creating

created store::create(const new_run& run, time_point now) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("creating a run", [&] { return create_locked(run, now); });
}

std::vector<created> store::create(std::span<const new_run> runs, time_point now) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("creating a batch of runs", [&] {
        std::vector<created> out;
        out.reserve(runs.size());
        for (const auto& run : runs) out.push_back(create_locked(run, now));
        return out;
    });
}

created store::create_locked(const new_run& run, time_point now) {
    const auto now_ns = to_ns(now);
    if (!run.idempotency_key.empty()) {
        auto st = writer_->prepare(R"sql(
SELECT i.run_id, i.expires_at, r.status FROM idempotency i JOIN runs r ON r.id = i.run_id
WHERE i.task_id = ?1 AND i.key = ?2)sql");
        st.bind(1, run.task_id).bind(2, run.idempotency_key);
        if (st.step()) {
            const auto status = parse_status(st.text_view(2), options_.path);
            const bool released = status == run_status::failed || status == run_status::canceled ||
                                  status == run_status::timed_out || status == run_status::expired ||
                                  status == run_status::crashed;
            if (now_ns < st.int64(1) && !released) return created{st.text(0), true, status};
        }
    }
    if (!run.debounce_key.empty())
        if (auto joined = join_debounced_locked(run)) return *std::move(joined);
    bool parent_canceled = false;
    if (!run.parent_id.empty()) {
        auto st = writer_->prepare("SELECT status, cancel_requested FROM runs WHERE id = ?1");
        st.bind(1, run.parent_id);
        if (st.step()) parent_canceled = st.int64(1) != 0 || st.text_view(0) == "canceled";
    }
    run_status status = run_status::queued;
    if (parent_canceled)
        status = run_status::canceled;
    else if (run.run_at && *run.run_at > now)
        status = run_status::delayed;

    nlohmann::json tags = nlohmann::json::array();
    for (const auto& tag : run.tags) tags.push_back(tag);
    const auto rank = to_ns(run.created_at) - static_cast<std::int64_t>(run.priority) * 1'000'000'000;
    auto st = writer_->prepare(R"sql(
INSERT INTO runs(id, task_id, status, queue, concurrency_key, priority, rank, queue_order, payload, error,
  machine_cpu, machine_memory, tags, metadata, idempotency_key, idempotency_expires_at, batch_id, parent_id,
  created_at, finished_at, run_at, expires_at, max_attempts, max_duration_ms, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,
  ?25))sql");
    st.bind(1, run.id)
        .bind(2, run.task_id)
        .bind(3, to_string(status))
        .bind(4, run.queue)
        .bind(5, run.concurrency_key)
        .bind(6, run.priority)
        .bind(7, rank)
        .bind(8, status == run_status::queued ? next_seq() : std::int64_t{0})
        .bind(9, run.payload_json ? json_text(*run.payload_json) : std::string("null"));
    if (parent_canceled)
        st.bind(10, error_text(make_error("taskkit::canceled_error",
                                          "the run's parent was canceled before it triggered this run",
                                          error_code::run_canceled)));
    else
        st.bind(10, nullptr);
    st.bind(11, run.machine_spec.cpu)
        .bind(12, run.machine_spec.memory)
        .bind(13, tags.dump())
        .bind(14, run.metadata && run.metadata->is_object() ? json_text(*run.metadata) : std::string("{}"))
        .bind(15, run.idempotency_key);
    if (run.idempotency_key.empty())
        st.bind(16, nullptr);
    else
        st.bind(16, to_ns(run.idempotency_expires_at));
    st.bind(17, run.batch_id);
    if (run.parent_id.empty())
        st.bind(18, nullptr);
    else
        st.bind(18, run.parent_id);
    st.bind(19, to_ns(run.created_at));
    if (parent_canceled)
        st.bind(20, now_ns);
    else
        st.bind(20, nullptr);
    if (status == run_status::delayed)
        st.bind(21, to_ns(*run.run_at));
    else
        st.bind(21, nullptr);
    if (run.expires_at)
        st.bind(22, to_ns(*run.expires_at));
    else
        st.bind(22, nullptr);
    st.bind(23, std::max(1, run.max_attempts))
        .bind(24, static_cast<std::int64_t>(run.max_duration.count()))
        .bind(25, now_ns)
        .run();
    if (!run.tags.empty()) {
        auto tag_st = writer_->prepare("INSERT OR IGNORE INTO run_tags(run_id, tag) VALUES (?1, ?2)");
        for (const auto& tag : run.tags) {
            tag_st.bind(1, run.id).bind(2, tag).run();
        }
    }
    if (!run.idempotency_key.empty()) {
        writer_
            ->prepare(R"sql(
INSERT INTO idempotency(task_id, key, run_id, expires_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT(task_id, key) DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at)sql")
            .bind(1, run.task_id)
            .bind(2, run.idempotency_key)
            .bind(3, run.id)
            .bind(4, to_ns(run.idempotency_expires_at))
            .run();
    }
    if (!run.debounce_key.empty()) {
        writer_
            ->prepare(R"sql(
INSERT INTO debounce(task_id, key, run_id) VALUES (?1, ?2, ?3)
ON CONFLICT(task_id, key) DO UPDATE SET run_id = excluded.run_id)sql")
            .bind(1, run.task_id)
            .bind(2, run.debounce_key)
            .bind(3, run.id)
            .run();
    }
    return created{std::string(run.id), false, status};
}

std::optional<created> store::join_debounced_locked(const new_run& run) {
    std::string held_id;
    std::int64_t first_ns = 0;
    {
        auto st = writer_->prepare(R"sql(
SELECT d.run_id, r.created_at FROM debounce d JOIN runs r ON r.id = d.run_id
WHERE d.task_id = ?1 AND d.key = ?2 AND r.status = 'delayed')sql");
        st.bind(1, run.task_id).bind(2, run.debounce_key);
        if (!st.step()) return std::nullopt;  // no run holds the key, or it left 'delayed': a new window
        held_id = st.text(0);
        first_ns = st.int64(1);
    }
    // The start moves to `delay` after this trigger, never past `max_delay` after the first.
    const auto due = std::min(taskkit::detail::saturating_add(run.created_at, run.debounce_delay),
                              taskkit::detail::saturating_add(from_ns(first_ns), run.debounce_max_delay));
    const auto now_ns = to_ns(run.created_at);
    if (run.debounce_mode == debounce_mode::trailing) {
        writer_
            ->prepare(
                "UPDATE runs SET run_at = ?2, payload = ?3, generation = generation + 1, updated_at = ?4 WHERE id = ?1")
            .bind(1, held_id)
            .bind(2, to_ns(due))
            .bind(3, run.payload_json ? json_text(*run.payload_json) : std::string("null"))
            .bind(4, now_ns)
            .run();
    } else {
        writer_->prepare("UPDATE runs SET run_at = ?2, generation = generation + 1, updated_at = ?3 WHERE id = ?1")
            .bind(1, held_id)
            .bind(2, to_ns(due))
            .bind(3, now_ns)
            .run();
    }
    // The status stays delayed: its event is written here, as for a reschedule, so that every
    // process following the run reads its new start.
    writer_
        ->prepare(R"sql(
INSERT INTO events(run_id, task_id, kind, status, attempt, owner, at) VALUES (?1, ?2, 'status', 'delayed', 0, NULL, ?3))sql")
        .bind(1, held_id)
        .bind(2, run.task_id)
        .bind(3, now_ns)
        .run();
    if (!run.idempotency_key.empty()) {  // the key now answers the debounced run
        writer_
            ->prepare(R"sql(
INSERT INTO idempotency(task_id, key, run_id, expires_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT(task_id, key) DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at)sql")
            .bind(1, run.task_id)
            .bind(2, run.idempotency_key)
            .bind(3, held_id)
            .bind(4, to_ns(run.idempotency_expires_at))
            .run();
    }
    created out{std::move(held_id), true, run_status::delayed};
    out.debounced = true;
    return out;
}

// ------------------------------------------------------------------------------------ reading

namespace {

std::optional<time_point> optional_time(const statement& st, int column) {
    if (st.is_null(column)) return std::nullopt;
    return from_ns(st.int64(column));
}

}  // namespace

std::optional<run_state_info> store::inspect_locked(connection& conn, std::string_view run_id) {
    auto st = conn.prepare(fmt::format("SELECT {} FROM runs WHERE id = ?1", run_columns));
    st.bind(1, run_id);
    if (!st.step()) return std::nullopt;
    run_state_info info;
    auto& r = info.record;
    const auto& path = options_.path;
    r.id = st.text(col::id);
    r.task_id = st.text(col::task_id);
    r.status = parse_status(st.text_view(col::status), path);
    r.payload = parse_json(st.text_view(col::payload), path, "a payload");
    if (!st.is_null(col::output)) r.output = parse_json(st.text_view(col::output), path, "an output");
    if (!st.is_null(col::error)) r.error = parse_error(st.text_view(col::error), path);
    r.queue = st.text(col::queue);
    r.machine_spec = machine{st.real(col::machine_cpu), st.real(col::machine_memory)};
    for (const auto& tag : parse_json(st.text_view(col::tags), path, "a run's tags"))
        if (tag.is_string()) r.tags.push_back(tag.get<std::string>());
    r.metadata = parse_json(st.text_view(col::metadata), path, "a run's metadata");
    r.concurrency_key = st.text(col::concurrency_key);
    r.priority = st.int32(col::priority);
    r.idempotency_key = st.text(col::idempotency_key);
    r.batch_id = st.text(col::batch_id);
    r.parent_id = st.text(col::parent_id);
    r.created_at = from_ns(st.int64(col::created_at));
    r.started_at = optional_time(st, col::started_at);
    r.finished_at = optional_time(st, col::finished_at);
    r.run_at = optional_time(st, col::run_at);
    r.dropped_logs = static_cast<std::size_t>(st.int64(col::dropped_logs));
    for (const auto& e : parse_json(st.text_view(col::hook_errors), path, "a run's hook errors"))
        r.hook_errors.push_back(parse_error(e.dump(), path));
    info.rank = st.int64(col::rank);
    info.expires_at = optional_time(st, col::expires_at);
    info.idempotency_expires_at =
        st.is_null(col::idempotency_expires_at) ? time_point::max() : from_ns(st.int64(col::idempotency_expires_at));
    info.max_attempts = st.int32(col::max_attempts);
    info.max_duration = std::chrono::milliseconds(st.int64(col::max_duration_ms));
    info.attempts_started = st.int32(col::attempts_started);
    info.budget_start = st.int32(col::budget_start);
    info.generation = st.int64(col::generation);
    info.lease_owner = st.text(col::lease_owner);
    info.lease_token = st.is_null(col::lease_token) ? 0 : st.int64(col::lease_token);
    info.lease_expires_at = optional_time(st, col::lease_expires_at);
    info.cancel_requested = st.int64(col::cancel_requested) != 0;
    if (!st.is_null(col::wait)) {
        const auto j = parse_json(st.text_view(col::wait), path, "a run's wait");
        wait_info w;
        if (auto it = j.find("runs"); it != j.end())
            for (const auto& id : *it)
                if (id.is_string()) w.runs.push_back(id.get<std::string>());
        w.any = j.value("any", false);
        if (auto it = j.find("until"); it != j.end() && it->is_number_integer())
            w.until = from_ns(it->get<std::int64_t>());
        if (auto it = j.find("token"); it != j.end() && it->is_string()) w.token = it->get<std::string>();
        info.wait = std::move(w);
    }
    info.resume_requested = !st.is_null(col::resume_requested);
    if (!st.is_null(col::waiting_for)) r.waiting_for = parse_waiting_for(st.text_view(col::waiting_for), path);

    auto attempts =
        conn.prepare("SELECT number, started_at, finished_at, error FROM attempts WHERE run_id = ?1 ORDER BY number");
    attempts.bind(1, run_id);
    while (attempts.step()) {
        attempt_record a;
        a.number = attempts.int32(0);
        a.started_at = from_ns(attempts.int64(1));
        a.finished_at = optional_time(attempts, 2);
        if (!attempts.is_null(3)) a.error = parse_error(attempts.text_view(3), path);
        r.attempts.push_back(std::move(a));
    }
    auto logs = conn.prepare("SELECT time, level, message, attributes, attempt FROM logs WHERE run_id = ?1 ORDER BY n");
    logs.bind(1, run_id);
    while (logs.step()) {
        log_entry e;
        e.time = from_ns(logs.int64(0));
        e.level = parse_level(logs.text_view(1));
        e.message = logs.text(2);
        e.attributes = parse_json(logs.text_view(3), path, "a log line's attributes");
        e.attempt = logs.int32(4);
        e.run_id = r.id;
        e.task_id = r.task_id;
        r.logs.push_back(std::move(e));
    }
    // Each stream's kept chunks, oldest first: the rows of a stream are its most recent indexes,
    // so the first kept one's index counts those dropped before it.
    auto chunks = conn.prepare("SELECT stream, idx, chunk FROM stream_chunks WHERE run_id = ?1 ORDER BY stream, idx");
    chunks.bind(1, run_id);
    stream_record* current = nullptr;
    std::string_view current_name;
    while (chunks.step()) {
        const auto name = chunks.text_view(0);
        if (!current || name != current_name) {
            auto [it, added] = r.streams.emplace(std::string(name), stream_record{});
            current = &it->second;
            current_name = it->first;
            current->dropped = static_cast<std::size_t>(chunks.int64(1));
        }
        current->chunks.push_back(parse_json(chunks.text_view(2), path, "a stream chunk"));
    }
    auto children = conn.prepare("SELECT id FROM runs WHERE parent_id = ?1 ORDER BY created_at, rowid");
    children.bind(1, run_id);
    while (children.step()) r.children.push_back(children.text(0));
    return info;
}

std::optional<run_record> store::find_locked(connection& conn, std::string_view run_id) {
    auto info = inspect_locked(conn, run_id);
    if (!info) return std::nullopt;
    return std::move(info->record);
}

std::optional<run_record> store::find(std::string_view run_id) {
    std::lock_guard lock(read_mutex_);
    return reader_->read("reading a run", [&] { return find_locked(*reader_, run_id); });
}

std::optional<run_state_info> store::inspect(std::string_view run_id) {
    std::lock_guard lock(read_mutex_);
    return reader_->read("reading a run", [&] { return inspect_locked(*reader_, run_id); });
}

run_page store::list(const run_filter& filter) {
    // The cursor is "<creation time in ns>:<id>" of the last run of the previous page (the memory
    // backend's format), so paging stays right when runs come and go between pages.
    std::optional<std::int64_t> cursor_at;
    std::string cursor_id;
    if (!filter.cursor.empty()) {
        const auto colon = filter.cursor.find(':');
        try {
            if (colon == std::string::npos) throw std::invalid_argument("no ':'");
            std::size_t used = 0;
            cursor_at = std::stoll(filter.cursor.substr(0, colon), &used);
            if (used != colon) throw std::invalid_argument("not a number");
        } catch (const std::exception&) {
            throw options_error("run_filter.cursor '" + filter.cursor + "' is not a cursor returned by list()");
        }
        cursor_id = filter.cursor.substr(colon + 1);
    }
    std::string sql = "SELECT id FROM runs WHERE 1";
    int param = 0;
    auto placeholders = [&](std::size_t n) {
        std::string out;
        for (std::size_t i = 0; i < n; ++i) out += fmt::format("{}?{}", i ? ", " : "", ++param);
        return out;
    };
    if (!filter.statuses.empty()) sql += fmt::format(" AND status IN ({})", placeholders(filter.statuses.size()));
    if (!filter.tasks.empty()) sql += fmt::format(" AND task_id IN ({})", placeholders(filter.tasks.size()));
    if (!filter.queue.empty()) sql += fmt::format(" AND queue = ?{}", ++param);
    if (!filter.batch_id.empty()) sql += fmt::format(" AND batch_id = ?{}", ++param);
    if (filter.created_from) sql += fmt::format(" AND created_at >= ?{}", ++param);
    if (filter.created_to) sql += fmt::format(" AND created_at < ?{}", ++param);
    for (std::size_t i = 0; i < filter.tags.size(); ++i)
        sql += fmt::format(" AND id IN (SELECT run_id FROM run_tags WHERE tag = ?{})", ++param);
    if (cursor_at) {
        sql += fmt::format(" AND (created_at < ?{0} OR (created_at = ?{0} AND id < ?{1}))", param + 1, param + 2);
        param += 2;
    }
    sql += fmt::format(" ORDER BY created_at DESC, id DESC LIMIT ?{}", ++param);
    const std::size_t limit = std::max<std::size_t>(1, filter.limit);

    std::lock_guard lock(read_mutex_);
    return reader_->read("listing runs", [&] {
        auto st = reader_->prepare(sql);
        int i = 0;
        for (const auto status : filter.statuses) st.bind(++i, to_string(status));
        for (const auto& task : filter.tasks) st.bind(++i, task);
        if (!filter.queue.empty()) st.bind(++i, filter.queue);
        if (!filter.batch_id.empty()) st.bind(++i, filter.batch_id);
        if (filter.created_from) st.bind(++i, to_ns(*filter.created_from));
        if (filter.created_to) st.bind(++i, to_ns(*filter.created_to));
        for (const auto& tag : filter.tags) st.bind(++i, tag);
        if (cursor_at) {
            st.bind(++i, *cursor_at);
            st.bind(++i, cursor_id);
        }
        st.bind(++i, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1u << 30) + 1));
        std::vector<std::string> ids;
        while (st.step()) ids.push_back(st.text(0));
        run_page page;
        for (std::size_t n = 0; n < ids.size() && n < limit; ++n)
            if (auto record = find_locked(*reader_, ids[n])) page.runs.push_back(std::move(*record));
        if (ids.size() > limit && !page.runs.empty()) {
            const auto& last = page.runs.back();
            page.next_cursor = fmt::format("{}:{}", to_ns(last.created_at), last.id);
        }
        return page;
    });
}

// ------------------------------------------------------------------------------------ what attempts write

namespace {

[[noreturn]] void unknown_run(std::string_view run_id) {
    throw state_error(fmt::format("no run with id '{}' in the database", run_id));
}

}  // namespace

void store::append_logs(std::string_view run_id, std::span<const log_entry> entries) {
    if (entries.empty()) return;
    std::lock_guard lock(write_mutex_);
    writer_->write("writing a run's log lines", [&] {
        const auto max = static_cast<std::int64_t>(options_.max_logs_per_run);
        auto count = writer_->prepare("UPDATE runs SET log_count = log_count + ?2 WHERE id = ?1 RETURNING log_count");
        count.bind(1, run_id).bind(2, static_cast<std::int64_t>(entries.size()));
        if (!count.step()) unknown_run(run_id);
        const std::int64_t end = count.int64(0);
        const std::int64_t first = end - static_cast<std::int64_t>(entries.size());
        std::int64_t dropped = 0;
        auto insert = writer_->prepare(
            "INSERT INTO logs(run_id, n, time, level, message, attributes, attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
            "?7)");
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const auto n = first + static_cast<std::int64_t>(i);
            if (n < end - max) {  // beyond the bound already: never written
                ++dropped;
                continue;
            }
            const auto& e = entries[i];
            insert.bind(1, run_id)
                .bind(2, n)
                .bind(3, to_ns(e.time))
                .bind(4, level_name(e.level))
                .bind(5, e.message)
                .bind(6, e.attributes.is_object() ? json_text(e.attributes) : std::string("{}"))
                .bind(7, e.attempt)
                .run();
        }
        auto trim = writer_->prepare("DELETE FROM logs WHERE run_id = ?1 AND n < ?2");
        trim.bind(1, run_id).bind(2, end - max).run();
        dropped += writer_->changes();
        if (dropped > 0)
            writer_->prepare("UPDATE runs SET dropped_logs = dropped_logs + ?2 WHERE id = ?1")
                .bind(1, run_id)
                .bind(2, dropped)
                .run();
    });
}

void store::set_metadata(std::string_view run_id, const nlohmann::json& metadata, time_point now) {
    std::lock_guard lock(write_mutex_);
    writer_->write("writing a run's metadata", [&] {
        writer_->prepare("UPDATE runs SET metadata = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(1, run_id)
            .bind(2, metadata.is_object() ? json_text(metadata) : std::string("{}"))
            .bind(3, to_ns(now))
            .run();
        if (writer_->changes() == 0) unknown_run(run_id);
    });
}

store::metadata_written store::change_metadata(std::string_view run_id, const metadata_change& change,
                                               std::string_view owner, time_point now) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("changing a run's metadata", [&] {
        auto st = writer_->prepare("SELECT metadata FROM runs WHERE id = ?1");
        st.bind(1, run_id);
        if (!st.step()) unknown_run(run_id);
        auto metadata = parse_json(st.text_view(0), options_.path, "a run's metadata");
        st.reset();
        if (!metadata.is_object()) metadata = nlohmann::json::object();
        taskkit::apply(metadata, change);  // throws options_error before anything is written
        const auto text = json_text(metadata);
        const auto at = to_ns(now);
        writer_->prepare("UPDATE runs SET metadata = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(1, run_id)
            .bind(2, text)
            .bind(3, at)
            .run();
        writer_
            ->prepare(R"sql(
INSERT INTO events(run_id, task_id, kind, status, attempt, owner, at, data)
SELECT id, task_id, 'metadata', status, attempts_started, ?2, ?3, ?4 FROM runs WHERE id = ?1)sql")
            .bind(1, run_id)
            .bind(2, owner)
            .bind(3, at)
            .bind(4, text)
            .run();
        return metadata_written{std::move(metadata), writer_->query_int("SELECT last_insert_rowid()")};
    });
}

void store::append_chunks(std::span<const chunk_entry> chunks, std::string_view owner, time_point now,
                          std::size_t max_chunks) {
    if (chunks.empty()) return;
    std::lock_guard lock(write_mutex_);
    writer_->write("writing stream chunks", [&] {
        const auto max = static_cast<std::int64_t>(max_chunks);
        const auto at = to_ns(now);
        auto event = writer_->prepare(R"sql(
INSERT INTO events(run_id, task_id, kind, status, attempt, owner, at, stream, idx, data)
SELECT id, task_id, 'stream', status, attempts_started, ?2, ?3, ?4, ?5, ?6 FROM runs WHERE id = ?1)sql");
        auto insert = writer_->prepare(
            "INSERT OR REPLACE INTO stream_chunks(run_id, stream, idx, chunk) VALUES (?1, ?2, ?3, ?4)");
        auto trim = writer_->prepare("DELETE FROM stream_chunks WHERE run_id = ?1 AND stream = ?2 AND idx < ?3");
        // The chunks of one stream of one run come in order: consecutive entries form a group, whose
        // last index decides what the bound keeps.
        std::size_t i = 0;
        while (i < chunks.size()) {
            std::size_t j = i;
            while (j < chunks.size() && chunks[j].run_id == chunks[i].run_id && chunks[j].stream == chunks[i].stream)
                ++j;
            std::int64_t last = -1;
            for (const auto& c : chunks.subspan(i, j - i)) last = std::max(last, static_cast<std::int64_t>(c.index));
            const std::int64_t keep_from = last + 1 - max;
            bool known = true;
            for (std::size_t k = i; k < j && known; ++k) {
                const auto& c = chunks[k];
                const auto index = static_cast<std::int64_t>(c.index);
                event.bind(1, c.run_id)
                    .bind(2, owner)
                    .bind(3, at)
                    .bind(4, c.stream)
                    .bind(5, index)
                    .bind(6, c.chunk)
                    .run();
                if (writer_->changes() == 0)
                    known = false;  // not in the file (a test's object): skip its chunks
                else if (index >= keep_from)
                    insert.bind(1, c.run_id).bind(2, c.stream).bind(3, index).bind(4, c.chunk).run();
            }
            if (known) trim.bind(1, chunks[i].run_id).bind(2, chunks[i].stream).bind(3, keep_from).run();
            i = j;
        }
    });
}

void store::add_hook_error(std::string_view run_id, const error_info& error, time_point now) {
    std::lock_guard lock(write_mutex_);
    writer_->write("writing a run's hook error", [&] {
        auto st = writer_->prepare("SELECT hook_errors FROM runs WHERE id = ?1");
        st.bind(1, run_id);
        if (!st.step()) unknown_run(run_id);
        auto errors = parse_json(st.text_view(0), options_.path, "a run's hook errors");
        if (!errors.is_array()) errors = nlohmann::json::array();
        nlohmann::json j;
        to_json(j, error);
        errors.push_back(std::move(j));
        writer_->prepare("UPDATE runs SET hook_errors = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(1, run_id)
            .bind(2, json_text(errors))
            .bind(3, to_ns(now))
            .run();
    });
}

std::optional<nlohmann::json> store::step_result(std::string_view run_id, std::string_view key) {
    std::lock_guard lock(read_mutex_);
    return reader_->read("reading a memoized step", [&]() -> std::optional<nlohmann::json> {
        auto st = reader_->prepare("SELECT result FROM steps WHERE run_id = ?1 AND key = ?2");
        st.bind(1, run_id).bind(2, key);
        if (!st.step()) return std::nullopt;
        return parse_json(st.text_view(0), options_.path, "a step's result");
    });
}

bool store::save_step(const lease_info& lease, std::string_view key, const nlohmann::json& result, time_point now) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("storing a memoized step", [&] {
        auto held = writer_->prepare(
            "SELECT 1 FROM runs WHERE id = ?1 AND lease_token = ?2 AND status IN ('executing', 'waiting')");
        held.bind(1, lease.run_id).bind(2, lease.token);
        if (!held.step()) return false;
        writer_
            ->prepare(R"sql(
INSERT INTO steps(run_id, key, result, attempt, saved_at) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT(run_id, key) DO UPDATE SET result = excluded.result, attempt = excluded.attempt,
  saved_at = excluded.saved_at)sql")
            .bind(1, lease.run_id)
            .bind(2, key)
            .bind(3, json_text(result))
            .bind(4, lease.attempt)
            .bind(5, to_ns(now))
            .run();
        return true;
    });
}

// ------------------------------------------------------------------------------------ schedules

bool store::claim_schedule_fire(std::string_view schedule_id, time_point nominal, std::string_view owner,
                                time_point now) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("recording a schedule's fire", [&] {
        writer_
            ->prepare(
                "INSERT OR IGNORE INTO schedule_fires(schedule_id, nominal_at, fired_at, owner) VALUES (?1, ?2, ?3, "
                "?4)")
            .bind(1, schedule_id)
            .bind(2, to_ns(nominal))
            .bind(3, to_ns(now))
            .bind(4, owner)
            .run();
        return writer_->changes() == 1;
    });
}

// ------------------------------------------------------------------------------------ events

event_batch store::events_since(std::int64_t after_seq, std::size_t limit) {
    std::lock_guard lock(read_mutex_);
    return reader_->read("reading status events", [&] {
        event_batch batch;
        batch.last_seq = after_seq;
        batch.pruned_through = reader_->query_int("SELECT value FROM meta WHERE key = 'events_pruned_through'");
        batch.missed = after_seq < batch.pruned_through;
        auto st = reader_->prepare(
            "SELECT seq, run_id, task_id, kind, status, attempt, owner, at, stream, idx, data FROM events WHERE seq > "
            "?1 ORDER BY seq LIMIT ?2");
        st.bind(1, after_seq).bind(2, static_cast<std::int64_t>(std::max<std::size_t>(1, limit)));
        while (st.step()) {
            event e;
            e.seq = st.int64(0);
            e.run_id = st.text(1);
            e.task_id = st.text(2);
            e.what = st.text_view(3) == "cancel_requested" ? event::kind::cancel_requested : event::kind::status;
            if (st.text_view(3) == "token_completed") e.what = event::kind::token_completed;
            if (st.text_view(3) == "metadata") e.what = event::kind::metadata;
            if (st.text_view(3) == "stream") e.what = event::kind::stream;
            e.status = parse_status(st.text_view(4), options_.path);
            e.attempt = st.int32(5);
            e.owner = st.text(6);
            e.at = from_ns(st.int64(7));
            e.stream = st.text(8);
            e.index = st.is_null(9) ? 0 : static_cast<std::size_t>(st.int64(9));
            e.data = st.text(10);
            batch.last_seq = e.seq;
            batch.events.push_back(std::move(e));
        }
        return batch;
    });
}

std::int64_t store::last_event_seq() {
    std::lock_guard lock(read_mutex_);
    return reader_->read("reading status events", [&] {
        return std::max(reader_->query_int("SELECT coalesce(max(seq), 0) FROM events"),
                        reader_->query_int("SELECT value FROM meta WHERE key = 'events_pruned_through'"));
    });
}

std::vector<event> store::changed_since(time_point since, std::size_t limit) {
    std::lock_guard lock(read_mutex_);
    return reader_->read("reading the runs changed since a time", [&] {
        std::vector<event> out;
        auto st = reader_->prepare(
            "SELECT id, task_id, status, attempts_started, lease_owner, updated_at FROM runs WHERE updated_at >= ?1 "
            "ORDER BY updated_at, rowid LIMIT ?2");
        st.bind(1, to_ns(since)).bind(2, static_cast<std::int64_t>(std::max<std::size_t>(1, limit)));
        while (st.step()) {
            event e;
            e.run_id = st.text(0);
            e.task_id = st.text(1);
            e.status = parse_status(st.text_view(2), options_.path);
            e.attempt = e.status == run_status::queued || e.status == run_status::delayed ? 0 : st.int32(3);
            e.owner = st.text(4);
            e.at = from_ns(st.int64(5));
            out.push_back(std::move(e));
        }
        return out;
    });
}

// ------------------------------------------------------------------------------------ pruning

void store::prune(time_point now) {
    std::lock_guard lock(write_mutex_);
    writer_->write("pruning old events, keys and fires", [&] { prune_locked(now); });
}

void store::prune_locked(time_point now) {
    const auto now_ns = to_ns(now);
    last_prune_ns_ = now_ns;
    claims_since_prune_ = 0;
    const auto events_before =
        now_ns - std::chrono::duration_cast<std::chrono::nanoseconds>(options_.event_retention).count();
    auto through =
        writer_->prepare("SELECT seq FROM events INDEXED BY events_at WHERE at < ?1 ORDER BY at DESC LIMIT 1");
    through.bind(1, events_before);
    if (through.step()) {
        const auto seq = through.int64(0);
        through.reset();
        writer_->prepare("DELETE FROM events WHERE seq <= ?1").bind(1, seq).run();
        writer_->prepare("UPDATE meta SET value = max(value, ?1) WHERE key = 'events_pruned_through'")
            .bind(1, seq)
            .run();
    }
    writer_->prepare("DELETE FROM idempotency WHERE expires_at <= ?1").bind(1, now_ns).run();
    writer_
        ->prepare(R"sql(
DELETE FROM rate_starts WHERE at <= ?1 - coalesce((SELECT max(rate_period_ns, key_rate_period_ns) FROM queues
                                                    WHERE name = rate_starts.queue), 0))sql")
        .bind(1, now_ns)
        .run();
    writer_->prepare("DELETE FROM schedule_fires WHERE fired_at < ?1")
        .bind(1,
              now_ns - std::chrono::duration_cast<std::chrono::nanoseconds>(options_.schedule_fire_retention).count())
        .run();
}

}  // namespace taskkit::sqlite::detail
