// The schema of a taskkit SQLite database and its migrations (schema.hpp). docs/durable-runs.md
// describes every table.
//
// Times are integer nanoseconds since the Unix epoch (taskkit::time_point's resolution); text
// columns hold JSON where they say so. A migration is the DDL that takes the file from one version
// to the next; a new file runs them all in order, so a file created today and one migrated from
// version 1 have the same schema.
#include "sqlite/schema.hpp"

#include <array>
#include <string>

#include <fmt/format.h>

#include "sqlite/database.hpp"

namespace taskkit::sqlite::detail {
namespace {

// Version 1: runs with their attempts, logs and tags; queues with per-key counts and rotation;
// idempotency keys; rate-limit starts. Kept as it was released: a file at version 1 is migrated
// from it (tests/sqlite/schema_test.cpp keeps a copy of this DDL to create such a file).
constexpr const char* migration_to_1 = R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY NOT NULL,
  value
) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('schema_version', 1), ('seq', 0);

CREATE TABLE queues (
  name TEXT PRIMARY KEY NOT NULL,
  concurrency_limit INTEGER NOT NULL DEFAULT 0,
  total_limit INTEGER NOT NULL DEFAULT 0,
  rate_limit INTEGER NOT NULL DEFAULT 0,
  rate_period_ns INTEGER NOT NULL DEFAULT 0,
  key_rate_limit INTEGER NOT NULL DEFAULT 0,
  key_rate_period_ns INTEGER NOT NULL DEFAULT 0,
  declared_at INTEGER,
  queued INTEGER NOT NULL DEFAULT 0,
  executing INTEGER NOT NULL DEFAULT 0,
  turn INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX queues_ready ON queues(turn) WHERE queued > 0;

CREATE TABLE keys (
  queue TEXT NOT NULL,
  key TEXT NOT NULL,
  queued INTEGER NOT NULL DEFAULT 0,
  executing INTEGER NOT NULL DEFAULT 0,
  turn INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (queue, key)
) WITHOUT ROWID;
CREATE INDEX keys_ready ON keys(queue, turn) WHERE queued > 0;

CREATE TABLE runs (
  id TEXT PRIMARY KEY NOT NULL,
  task_id TEXT NOT NULL,
  status TEXT NOT NULL,
  queue TEXT NOT NULL,
  concurrency_key TEXT NOT NULL DEFAULT '',
  priority INTEGER NOT NULL DEFAULT 0,
  rank INTEGER NOT NULL,
  queue_order INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL DEFAULT 'null',
  output TEXT,
  error TEXT,
  machine_cpu REAL NOT NULL DEFAULT 0,
  machine_memory REAL NOT NULL DEFAULT 0,
  tags TEXT NOT NULL DEFAULT '[]',
  metadata TEXT NOT NULL DEFAULT '{}',
  idempotency_key TEXT NOT NULL DEFAULT '',
  idempotency_expires_at INTEGER,
  batch_id TEXT NOT NULL DEFAULT '',
  parent_id TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  run_at INTEGER,
  expires_at INTEGER,
  max_attempts INTEGER NOT NULL DEFAULT 1,
  max_duration_ms INTEGER NOT NULL DEFAULT 0,
  attempts_started INTEGER NOT NULL DEFAULT 0,
  generation INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_token INTEGER,
  lease_expires_at INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  dropped_logs INTEGER NOT NULL DEFAULT 0,
  log_count INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE INDEX runs_queued ON runs(queue, concurrency_key, rank, queue_order) WHERE status = 'queued';
CREATE INDEX runs_due ON runs(run_at) WHERE status IN ('delayed', 'retrying');
CREATE INDEX runs_ttl ON runs(expires_at)
  WHERE expires_at IS NOT NULL AND status IN ('queued', 'delayed') AND attempts_started = 0;
CREATE INDEX runs_lease ON runs(lease_expires_at) WHERE status IN ('executing', 'waiting');
CREATE INDEX runs_created ON runs(created_at, id);
CREATE INDEX runs_status ON runs(status, created_at, id);
CREATE INDEX runs_task ON runs(task_id, created_at, id);
CREATE INDEX runs_queue ON runs(queue, created_at, id);
CREATE INDEX runs_parent ON runs(parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE run_tags (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE INDEX run_tags_tag ON run_tags(tag, run_id);

CREATE TABLE attempts (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  error TEXT,
  owner TEXT,
  PRIMARY KEY (run_id, number)
) WITHOUT ROWID;

CREATE TABLE logs (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  n INTEGER NOT NULL,
  time INTEGER NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  attributes TEXT NOT NULL DEFAULT '{}',
  attempt INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, n)
) WITHOUT ROWID;

CREATE TABLE idempotency (
  task_id TEXT NOT NULL,
  key TEXT NOT NULL,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (task_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_expiry ON idempotency(expires_at);

CREATE TABLE rate_starts (
  queue TEXT NOT NULL,
  key TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX rate_starts_queue ON rate_starts(queue, at);
CREATE INDEX rate_starts_key ON rate_starts(queue, key, at);

CREATE TRIGGER runs_counts_insert AFTER INSERT ON runs WHEN NEW.status IN ('queued', 'executing') BEGIN
  INSERT OR IGNORE INTO queues(name) VALUES (NEW.queue);
  INSERT OR IGNORE INTO keys(queue, key) VALUES (NEW.queue, NEW.concurrency_key);
  UPDATE keys SET turn = CASE WHEN NEW.status = 'queued' AND queued = 0 THEN NEW.queue_order ELSE turn END,
    queued = queued + (NEW.status = 'queued'), executing = executing + (NEW.status = 'executing')
    WHERE queue = NEW.queue AND key = NEW.concurrency_key;
  UPDATE queues SET turn = CASE WHEN NEW.status = 'queued' AND queued = 0 THEN NEW.queue_order ELSE turn END,
    queued = queued + (NEW.status = 'queued'), executing = executing + (NEW.status = 'executing')
    WHERE name = NEW.queue;
END;
CREATE TRIGGER runs_counts_update AFTER UPDATE OF status ON runs
  WHEN (OLD.status = 'queued') <> (NEW.status = 'queued') OR (OLD.status = 'executing') <> (NEW.status = 'executing')
BEGIN
  INSERT OR IGNORE INTO queues(name) VALUES (NEW.queue);
  INSERT OR IGNORE INTO keys(queue, key) VALUES (NEW.queue, NEW.concurrency_key);
  UPDATE keys SET turn = CASE WHEN NEW.status = 'queued' AND queued = 0 THEN NEW.queue_order ELSE turn END,
    queued = queued + (NEW.status = 'queued') - (OLD.status = 'queued'),
    executing = executing + (NEW.status = 'executing') - (OLD.status = 'executing')
    WHERE queue = NEW.queue AND key = NEW.concurrency_key;
  UPDATE queues SET turn = CASE WHEN NEW.status = 'queued' AND queued = 0 THEN NEW.queue_order ELSE turn END,
    queued = queued + (NEW.status = 'queued') - (OLD.status = 'queued'),
    executing = executing + (NEW.status = 'executing') - (OLD.status = 'executing')
    WHERE name = NEW.queue;
  DELETE FROM keys WHERE queue = NEW.queue AND key = NEW.concurrency_key AND queued = 0 AND executing = 0;
END;
CREATE TRIGGER runs_counts_delete AFTER DELETE ON runs WHEN OLD.status IN ('queued', 'executing') BEGIN
  UPDATE keys SET queued = queued - (OLD.status = 'queued'), executing = executing - (OLD.status = 'executing')
    WHERE queue = OLD.queue AND key = OLD.concurrency_key;
  UPDATE queues SET queued = queued - (OLD.status = 'queued'), executing = executing - (OLD.status = 'executing')
    WHERE name = OLD.queue;
  DELETE FROM keys WHERE queue = OLD.queue AND key = OLD.concurrency_key AND queued = 0 AND executing = 0;
END;
)sql";

// Version 2: waits (a waiting run asks its slot back: resumers, counted per key and queue), retry
// budgets (budget_start), hook errors, memoized steps, schedule fires, and the events table that
// lets a process follow the changes other processes make (written by triggers, so that no status
// change can miss its event).
constexpr const char* migration_to_2 = R"sql(
ALTER TABLE runs ADD COLUMN budget_start INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN hook_errors TEXT NOT NULL DEFAULT '[]';
ALTER TABLE runs ADD COLUMN wait TEXT;
ALTER TABLE runs ADD COLUMN resume_requested INTEGER;
ALTER TABLE queues ADD COLUMN resuming INTEGER NOT NULL DEFAULT 0;
ALTER TABLE keys ADD COLUMN resuming INTEGER NOT NULL DEFAULT 0;
DROP INDEX queues_ready;
CREATE INDEX queues_ready ON queues(turn) WHERE queued > 0 OR resuming > 0;
CREATE INDEX runs_resumers ON runs(resume_requested) WHERE resume_requested IS NOT NULL;
INSERT OR IGNORE INTO meta(key, value) VALUES ('events_pruned_through', 0);

DROP TRIGGER runs_counts_insert;
DROP TRIGGER runs_counts_update;
DROP TRIGGER runs_counts_delete;
CREATE TRIGGER runs_counts_insert AFTER INSERT ON runs WHEN NEW.status IN ('queued', 'executing') BEGIN
  INSERT OR IGNORE INTO queues(name) VALUES (NEW.queue);
  INSERT OR IGNORE INTO keys(queue, key) VALUES (NEW.queue, NEW.concurrency_key);
  UPDATE keys SET turn = CASE WHEN NEW.status = 'queued' AND queued = 0 THEN NEW.queue_order ELSE turn END,
    queued = queued + (NEW.status = 'queued'), executing = executing + (NEW.status = 'executing')
    WHERE queue = NEW.queue AND key = NEW.concurrency_key;
  UPDATE queues SET turn = CASE WHEN NEW.status = 'queued' AND queued = 0 THEN NEW.queue_order ELSE turn END,
    queued = queued + (NEW.status = 'queued'), executing = executing + (NEW.status = 'executing')
    WHERE name = NEW.queue;
END;
CREATE TRIGGER runs_counts_update AFTER UPDATE OF status, resume_requested ON runs
  WHEN (OLD.status = 'queued') <> (NEW.status = 'queued') OR (OLD.status = 'executing') <> (NEW.status = 'executing')
    OR (OLD.status = 'waiting' AND OLD.resume_requested IS NOT NULL)
       <> (NEW.status = 'waiting' AND NEW.resume_requested IS NOT NULL)
BEGIN
  INSERT OR IGNORE INTO queues(name) VALUES (NEW.queue);
  INSERT OR IGNORE INTO keys(queue, key) VALUES (NEW.queue, NEW.concurrency_key);
  UPDATE keys SET turn = CASE WHEN NEW.status = 'queued' AND OLD.status <> 'queued' AND queued = 0
                              THEN NEW.queue_order ELSE turn END,
    queued = queued + (NEW.status = 'queued') - (OLD.status = 'queued'),
    executing = executing + (NEW.status = 'executing') - (OLD.status = 'executing'),
    resuming = resuming + (NEW.status = 'waiting' AND NEW.resume_requested IS NOT NULL)
                        - (OLD.status = 'waiting' AND OLD.resume_requested IS NOT NULL)
    WHERE queue = NEW.queue AND key = NEW.concurrency_key;
  UPDATE queues SET turn = CASE WHEN NEW.status = 'queued' AND OLD.status <> 'queued' AND queued = 0
                                THEN NEW.queue_order ELSE turn END,
    queued = queued + (NEW.status = 'queued') - (OLD.status = 'queued'),
    executing = executing + (NEW.status = 'executing') - (OLD.status = 'executing'),
    resuming = resuming + (NEW.status = 'waiting' AND NEW.resume_requested IS NOT NULL)
                        - (OLD.status = 'waiting' AND OLD.resume_requested IS NOT NULL)
    WHERE name = NEW.queue;
  DELETE FROM keys WHERE queue = NEW.queue AND key = NEW.concurrency_key
    AND queued = 0 AND executing = 0 AND resuming = 0;
END;
CREATE TRIGGER runs_counts_delete AFTER DELETE ON runs
  WHEN OLD.status IN ('queued', 'executing') OR (OLD.status = 'waiting' AND OLD.resume_requested IS NOT NULL)
BEGIN
  UPDATE keys SET queued = queued - (OLD.status = 'queued'), executing = executing - (OLD.status = 'executing'),
    resuming = resuming - (OLD.status = 'waiting' AND OLD.resume_requested IS NOT NULL)
    WHERE queue = OLD.queue AND key = OLD.concurrency_key;
  UPDATE queues SET queued = queued - (OLD.status = 'queued'), executing = executing - (OLD.status = 'executing'),
    resuming = resuming - (OLD.status = 'waiting' AND OLD.resume_requested IS NOT NULL)
    WHERE name = OLD.queue;
  DELETE FROM keys WHERE queue = OLD.queue AND key = OLD.concurrency_key
    AND queued = 0 AND executing = 0 AND resuming = 0;
END;

CREATE TABLE steps (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  result TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  saved_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE schedule_fires (
  schedule_id TEXT NOT NULL,
  nominal_at INTEGER NOT NULL,
  fired_at INTEGER NOT NULL,
  owner TEXT,
  PRIMARY KEY (schedule_id, nominal_at)
) WITHOUT ROWID;
CREATE INDEX schedule_fires_at ON schedule_fires(fired_at);

CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  owner TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX events_at ON events(at);
CREATE TRIGGER runs_events_insert AFTER INSERT ON runs BEGIN
  INSERT INTO events(run_id, task_id, kind, status, attempt, owner, at)
    VALUES (NEW.id, NEW.task_id, 'status', NEW.status,
            CASE WHEN NEW.status IN ('queued', 'delayed') THEN 0 ELSE NEW.attempts_started END,
            NEW.lease_owner, NEW.updated_at);
END;
CREATE TRIGGER runs_events_update AFTER UPDATE OF status ON runs WHEN OLD.status <> NEW.status BEGIN
  INSERT INTO events(run_id, task_id, kind, status, attempt, owner, at)
    VALUES (NEW.id, NEW.task_id, 'status', NEW.status,
            CASE WHEN NEW.status IN ('queued', 'delayed') THEN 0 ELSE NEW.attempts_started END,
            coalesce(NEW.lease_owner, OLD.lease_owner), NEW.updated_at);
END;
)sql";

// Version 3: queue controls shared by every process on the file — a paused queue starts no run,
// and a limit override (NULL: none) replaces the declared concurrency limit until it is reset.
// Declarations (attach) rewrite the declared limits only, so an override outlives a restart.
constexpr const char* migration_to_3 = R"sql(
ALTER TABLE queues ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN limit_override INTEGER;
)sql";

// Version 4: debounce keys. A row names the run that holds a task's debounce key while it is
// delayed; create reads it in its write transaction (so triggers from several processes collapse
// into one run) and gives the key to a new run once the held one has left 'delayed'.
constexpr const char* migration_to_4 = R"sql(
CREATE TABLE debounce (
  task_id TEXT NOT NULL,
  key TEXT NOT NULL,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  PRIMARY KEY (task_id, key)
) WITHOUT ROWID;
CREATE INDEX debounce_run ON debounce(run_id);
)sql";

// Version 5: waitpoint tokens. A token is waiting until completed_at is set, or timed out once
// timeout_at has passed on the reader's clock (no column changes for that); an idempotency key
// answers with its token until idempotency_expires_at. A completion writes an event
// (kind 'token_completed', run_id the token's id), so that every process on the file wakes the
// runs waiting on it.
constexpr const char* migration_to_5 = R"sql(
CREATE TABLE tokens (
  id TEXT PRIMARY KEY NOT NULL,
  idempotency_key TEXT,
  idempotency_expires_at INTEGER,
  tags TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  timeout_at INTEGER,
  completed_at INTEGER,
  data TEXT
) WITHOUT ROWID;
CREATE UNIQUE INDEX tokens_key ON tokens(idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX tokens_created ON tokens(created_at, id);
CREATE TABLE token_tags (
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (tag, token_id)
) WITHOUT ROWID;
)sql";

// Version 6, realtime: streams and metadata changes. stream_chunks holds the most recent chunks
// of each stream of a run (sqlite_options::max_stream_chunks; older rows are deleted as newer ones
// come), removed with their run. An event of kind 'metadata' (data: the run's whole metadata
// object after the change) or 'stream' (stream, idx, data: the chunk) tells every process on the
// file; its owner is the process that made it.
constexpr const char* migration_to_6_realtime = R"sql(
CREATE TABLE stream_chunks (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  stream TEXT NOT NULL,
  idx INTEGER NOT NULL,
  chunk TEXT NOT NULL,
  PRIMARY KEY (run_id, stream, idx)
) WITHOUT ROWID;
ALTER TABLE events ADD COLUMN stream TEXT;
ALTER TABLE events ADD COLUMN idx INTEGER;
ALTER TABLE events ADD COLUMN data TEXT;
CREATE INDEX runs_batch ON runs(batch_id, created_at, id) WHERE batch_id <> '';
)sql";

// Version 7: what a waiting run waits for, as its record shows it (run_record::waiting_for): a
// JSON object {"kind", "until" (ns), "run_ids", "batch_id", "token_id", "any"} written on suspend
// and set to NULL wherever the run leaves its wait (resume, claim, finish, cancel, lease expiry).
// Its own step, beside `wait` (what a restarted process resumes the wait by), which it does not change.
constexpr const char* migration_to_7_waiting_for = R"sql(
ALTER TABLE runs ADD COLUMN waiting_for TEXT;
)sql";

constexpr std::array<const char*, schema_version> migrations = {migration_to_1,
                                                                migration_to_2,
                                                                migration_to_3,
                                                                migration_to_4,
                                                                migration_to_5,
                                                                migration_to_6_realtime,
                                                                migration_to_7_waiting_for};

struct file_identity {
    std::int64_t application = 0;
    std::int64_t version = 0;
    std::int64_t objects = 0;
};

file_identity identify(connection& conn) {
    file_identity id;
    id.application = conn.query_int("PRAGMA application_id");
    id.version = conn.query_int("PRAGMA user_version");
    id.objects = conn.query_int("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
    return id;
}

void check_identity(const connection& conn, const file_identity& id) {
    if (id.application == 0 && id.version == 0 && id.objects == 0) return;  // a new (empty) file
    if (id.application != application_id)
        throw sqlite_corrupt_error(
            0, conn.path(),
            fmt::format("taskkit: the file '{}' is a SQLite database of another application (application_id {}, {} "
                        "tables and indexes), not a taskkit database: point sqlite_options::path at a file of its own.",
                        conn.path(), id.application, id.objects));
    if (id.version > schema_version)
        throw sqlite_schema_error(
            0, conn.path(),
            fmt::format("taskkit: the database '{}' is at schema version {}, written by a newer taskkit; this build "
                        "knows versions up to {}: upgrade taskkit to open it (the file was left unchanged).",
                        conn.path(), id.version, schema_version));
}

}  // namespace

int open_schema(connection& conn, bool synchronous_full) {
    // WAL: readers never block the writer nor the writer readers, and several processes share the
    // file. journal_mode is stored in the file; setting it again is a no-op.
    const std::string mode = conn.query_text("PRAGMA journal_mode = WAL");
    if (mode != "wal")
        throw sqlite_error(0, conn.path(),
                           fmt::format("taskkit: the database '{}' cannot use write-ahead logging (journal mode is "
                                       "'{}'): put it on a local file system that supports shared memory.",
                                       conn.path(), mode));
    conn.exec(synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", "setting synchronous");
    conn.exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
    return conn.write("opening the database (checking and migrating its schema)", [&] {
        const auto id = identify(conn);
        check_identity(conn, id);
        for (auto version = id.version; version < schema_version; ++version)
            conn.exec(migrations[static_cast<std::size_t>(version)],
                      fmt::format("migrating the schema to version {}", version + 1));
        if (id.version != schema_version) {
            conn.exec(fmt::format("PRAGMA application_id = {}", application_id));
            conn.exec(fmt::format("PRAGMA user_version = {}", schema_version));
            conn.prepare("UPDATE meta SET value = ?1 WHERE key = 'schema_version'").bind(1, schema_version).run();
        }
        return static_cast<int>(id.version);
    });
}

void check_schema_read_only(connection& conn) {
    conn.exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
    conn.read("opening the database read-only (checking its schema)", [&] {
        const auto id = identify(conn);
        check_identity(conn, id);
        if (id.version != schema_version)
            throw sqlite_readonly_error(
                0, conn.path(),
                fmt::format("taskkit: the database '{}' is at schema version {} and this build needs version {}, "
                            "which a read-only connection cannot migrate: open it once without "
                            "sqlite_options::read_only.",
                            conn.path(), id.version, schema_version));
    });
}

}  // namespace taskkit::sqlite::detail
