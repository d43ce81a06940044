// The schema: a new file, its pragmas, reopening (a restart), several processes opening one file at
// once, and a file at version 1 migrated with its rows kept.
#include <atomic>
#include <thread>

#include "sqlite_test_support.hpp"

using namespace sqlite_test;
using taskkit::run_status;

TEST_CASE("a new file is created at the current schema version, in WAL mode, with foreign keys on") {
    temp_dir dir;
    store::store s(options(dir.file()));
    CHECK(s.opened_at_version() == 0);
    auto& conn = s.writer();
    CHECK(conn.query_int("PRAGMA user_version") == store::schema_version);
    CHECK(conn.query_int("PRAGMA application_id") == store::application_id);
    CHECK(conn.query_text("PRAGMA journal_mode") == "wal");
    CHECK(conn.query_int("PRAGMA foreign_keys") == 1);
    CHECK(conn.query_int("PRAGMA synchronous") == 1);  // NORMAL, as the tests' options ask
    CHECK(conn.query_int("SELECT value FROM meta WHERE key = 'schema_version'") == store::schema_version);
    for (const char* table : {"meta", "queues", "keys", "runs", "run_tags", "attempts", "logs", "idempotency",
                              "rate_starts", "steps", "schedule_fires", "events"}) {
        INFO(table);
        CHECK(conn.query_int(std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '") +
                             table + "'") == 1);
    }
}

TEST_CASE("every connection keeps SQLite's temporary files in memory (temp_store = MEMORY)") {
    temp_dir dir;
    store::store s(options(dir.file()));
    CHECK(s.writer().query_int("PRAGMA temp_store") == 2);  // 0 default, 1 file, 2 memory
    auto read_only = options(dir.file());
    read_only.read_only = true;
    store::store reader(read_only);
    CHECK(reader.writer().query_int("PRAGMA temp_store") == 2);
    store::connection plain({.path = dir.file()});
    CHECK(plain.query_int("PRAGMA temp_store") == 2);
}

TEST_CASE("synchronous is FULL by default: a commit is on disk before the call returns") {
    temp_dir dir;
    store::store s(taskkit::sqlite_options{.path = dir.file()});
    CHECK(s.writer().query_int("PRAGMA synchronous") == 2);
}

TEST_CASE("a reopened file keeps its runs: queued, delayed and retrying runs carry on after a restart") {
    temp_dir dir;
    {
        store::store s(options(dir.file()));
        create(s, {.id = "run_queued"});
        create(s, {.id = "run_delayed", .run_at = 100});
        create(s, {.id = "run_retrying", .max_attempts = 3});
        auto c = claim_one(s, 1);
        REQUIRE(c);
        REQUIRE(c->lease.run_id == "run_queued");
        auto c2 = claim_one(s, 1);
        REQUIRE(c2);
        REQUIRE(c2->lease.run_id == "run_retrying");
        s.finish(c2->lease, {.status = run_status::retrying, .retry_at = t(50)}, t(2));
        // the store goes away with run_queued executing: its process "died"
    }
    store::store s(options(dir.file()));
    CHECK(s.opened_at_version() == store::schema_version);
    CHECK(status_of(s, "run_queued") == run_status::executing);
    CHECK(status_of(s, "run_delayed") == run_status::delayed);
    CHECK(status_of(s, "run_retrying") == run_status::retrying);
    // Delays are absolute: long after, both are due at once.
    auto ids = claim_ids(s, 200, 10);
    CHECK(ids == std::vector<std::string>{"run_retrying", "run_delayed"});
}

TEST_CASE("several processes opening a new file at once create its schema once") {
    temp_dir dir;
    constexpr int processes = 6;
    std::atomic<int> created_it{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < processes; ++i)
        threads.emplace_back([&] {
            try {
                store::store s(options(dir.file()));
                if (s.opened_at_version() == 0) ++created_it;
            } catch (...) {
                ++failures;
            }
        });
    for (auto& th : threads) th.join();
    CHECK(failures == 0);
    CHECK(created_it == 1);
    store::store s(options(dir.file()));
    CHECK(s.writer().query_int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'runs'") == 1);
}

namespace {

// The schema of version 1, as it was written: a copy kept here so that the test does not depend on
// the code it checks.
constexpr const char* version_1_ddl = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('schema_version', 1), ('seq', 0);
CREATE TABLE queues (
  name TEXT PRIMARY KEY NOT NULL, concurrency_limit INTEGER NOT NULL DEFAULT 0,
  total_limit INTEGER NOT NULL DEFAULT 0, rate_limit INTEGER NOT NULL DEFAULT 0,
  rate_period_ns INTEGER NOT NULL DEFAULT 0, key_rate_limit INTEGER NOT NULL DEFAULT 0,
  key_rate_period_ns INTEGER NOT NULL DEFAULT 0, declared_at INTEGER,
  queued INTEGER NOT NULL DEFAULT 0, executing INTEGER NOT NULL DEFAULT 0, turn INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX queues_ready ON queues(turn) WHERE queued > 0;
CREATE TABLE keys (
  queue TEXT NOT NULL, key TEXT NOT NULL, queued INTEGER NOT NULL DEFAULT 0,
  executing INTEGER NOT NULL DEFAULT 0, turn INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (queue, key)
) WITHOUT ROWID;
CREATE INDEX keys_ready ON keys(queue, turn) WHERE queued > 0;
CREATE TABLE runs (
  id TEXT PRIMARY KEY NOT NULL, task_id TEXT NOT NULL, status TEXT NOT NULL, queue TEXT NOT NULL,
  concurrency_key TEXT NOT NULL DEFAULT '', priority INTEGER NOT NULL DEFAULT 0, rank INTEGER NOT NULL,
  queue_order INTEGER NOT NULL DEFAULT 0, payload TEXT NOT NULL DEFAULT 'null', output TEXT, error TEXT,
  machine_cpu REAL NOT NULL DEFAULT 0, machine_memory REAL NOT NULL DEFAULT 0, tags TEXT NOT NULL DEFAULT '[]',
  metadata TEXT NOT NULL DEFAULT '{}', idempotency_key TEXT NOT NULL DEFAULT '', idempotency_expires_at INTEGER,
  batch_id TEXT NOT NULL DEFAULT '', parent_id TEXT, created_at INTEGER NOT NULL, started_at INTEGER,
  finished_at INTEGER, run_at INTEGER, expires_at INTEGER, max_attempts INTEGER NOT NULL DEFAULT 1,
  max_duration_ms INTEGER NOT NULL DEFAULT 0, attempts_started INTEGER NOT NULL DEFAULT 0,
  generation INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_token INTEGER, lease_expires_at INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0, dropped_logs INTEGER NOT NULL DEFAULT 0,
  log_count INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL
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
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, tag TEXT NOT NULL, PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE INDEX run_tags_tag ON run_tags(tag, run_id);
CREATE TABLE attempts (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, number INTEGER NOT NULL,
  started_at INTEGER NOT NULL, finished_at INTEGER, error TEXT, owner TEXT, PRIMARY KEY (run_id, number)
) WITHOUT ROWID;
CREATE TABLE logs (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, n INTEGER NOT NULL, time INTEGER NOT NULL,
  level TEXT NOT NULL, message TEXT NOT NULL, attributes TEXT NOT NULL DEFAULT '{}',
  attempt INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, n)
) WITHOUT ROWID;
CREATE TABLE idempotency (
  task_id TEXT NOT NULL, key TEXT NOT NULL, run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL, PRIMARY KEY (task_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_expiry ON idempotency(expires_at);
CREATE TABLE rate_starts (queue TEXT NOT NULL, key TEXT NOT NULL, at INTEGER NOT NULL);
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
PRAGMA application_id = 1414220116;
PRAGMA user_version = 1;
)sql";

// Rows as a version-1 process left them: a completed run with an attempt, a log line and a tag, a
// queued run of a limited queue, an executing one holding its slot, and an idempotency key.
constexpr const char* version_1_rows = R"sql(
INSERT INTO queues(name, concurrency_limit, declared_at) VALUES ('emails', 1, 1);
UPDATE meta SET value = 3 WHERE key = 'seq';
INSERT INTO runs(id, task_id, status, queue, rank, queue_order, payload, output, tags, metadata, created_at,
                 started_at, finished_at, attempts_started, updated_at, idempotency_key, idempotency_expires_at)
  VALUES ('run_done', 'send', 'completed', 'emails', 1000, 1, '{"to":"a@example.org"}', '"sent"', '["vip"]',
          '{"step":2}', 1000, 2000, 3000, 1, 3000, 'welcome-a', 9000000000000000000);
INSERT INTO attempts(run_id, number, started_at, finished_at) VALUES ('run_done', 1, 2000, 3000);
INSERT INTO logs(run_id, n, time, level, message, attempt) VALUES ('run_done', 0, 2500, 'info', 'sending', 1);
UPDATE runs SET log_count = 1 WHERE id = 'run_done';
INSERT INTO run_tags(run_id, tag) VALUES ('run_done', 'vip');
INSERT INTO idempotency(task_id, key, run_id, expires_at) VALUES ('send', 'welcome-a', 'run_done', 9000000000000000000);
INSERT INTO runs(id, task_id, status, queue, rank, queue_order, payload, created_at, started_at, attempts_started,
                 lease_owner, lease_token, lease_expires_at, updated_at, max_attempts)
  VALUES ('run_busy', 'send', 'executing', 'emails', 4000, 2, '{}', 4000, 4500, 1, 'old', 7, 9000000000000000000,
          4500, 3);
INSERT INTO attempts(run_id, number, started_at, owner) VALUES ('run_busy', 1, 4500, 'old');
INSERT INTO runs(id, task_id, status, queue, rank, queue_order, payload, created_at, updated_at)
  VALUES ('run_next', 'send', 'queued', 'emails', 5000, 3, '{"to":"b@example.org"}', 5000, 5000);
)sql";

}  // namespace

TEST_CASE("a file at schema version 1 is migrated to the current version and keeps its rows") {
    temp_dir dir;
    {
        store::connection old({.path = dir.file()});
        old.exec("PRAGMA journal_mode = WAL");
        old.exec(version_1_ddl);
        old.exec(version_1_rows);
        REQUIRE(old.query_int("PRAGMA user_version") == 1);
        REQUIRE(old.query_int("SELECT executing FROM queues WHERE name = 'emails'") == 1);
    }
    store::store s(options(dir.file()));
    CHECK(s.opened_at_version() == 1);
    CHECK(s.writer().query_int("PRAGMA user_version") == store::schema_version);
    CHECK(s.writer().query_int("SELECT value FROM meta WHERE key = 'schema_version'") == store::schema_version);

    auto done = s.find("run_done");
    REQUIRE(done);
    CHECK(done->status == run_status::completed);
    CHECK(done->payload == nlohmann::json{{"to", "a@example.org"}});
    CHECK(done->output == "sent");
    CHECK(done->tags == std::vector<std::string>{"vip"});
    CHECK(done->metadata == nlohmann::json{{"step", 2}});
    REQUIRE(done->attempts.size() == 1);
    CHECK(done->attempts[0].finished_at == store::from_ns(3000));
    REQUIRE(done->logs.size() == 1);
    CHECK(done->logs[0].message == "sending");
    CHECK(done->hook_errors.empty());  // a column version 2 added, with its default

    // The migrated file works: the counts of version 1 hold the queue's slot (limit 1) for the
    // executing run, the idempotency key answers, the tag filters, events start.
    CHECK(claim_ids(s, 1).empty());
    const auto again = s.create(
        run_spec{.id = "run_dup", .task = "send", .queue = "emails", .idempotency_key = "welcome-a"}.view(), t(0));
    CHECK(again.existing);
    CHECK(again.id == "run_done");
    CHECK(s.list({.tags = {"vip"}}).runs.size() == 1);
    auto busy = s.inspect("run_busy");
    REQUIRE(busy);
    CHECK(busy->budget_start == 0);
    // The old process's lease expires: the run is rescued (attempt 2 of 3), and run_next waits its turn.
    s.writer().exec("UPDATE runs SET lease_expires_at = 0 WHERE id = 'run_busy'");
    auto c = claim_one(s, 1);
    REQUIRE(c);
    CHECK(c->lease.run_id == "run_busy");
    CHECK(c->lease.attempt == 2);
    CHECK(claim_ids(s, 1).empty());
    complete(s, *c, 2);
    CHECK(claim_ids(s, 3) == std::vector<std::string>{"run_next"});
    CHECK(s.last_event_seq() > 0);
}

TEST_CASE("a file of a newer taskkit is refused with a typed error and left unchanged") {
    temp_dir dir;
    { store::store s(options(dir.file())); }
    {
        store::connection raw({.path = dir.file()});
        raw.exec("PRAGMA user_version = 99");
    }
    try {
        store::store s(options(dir.file()));
        FAIL("a file at version 99 opened");
    } catch (const taskkit::sqlite_schema_error& e) {
        CHECK(e.code() == taskkit::error_code::store_failure);
        CHECK(contains(e.what(), "upgrade taskkit"));
    }
    store::connection raw({.path = dir.file()});
    CHECK(raw.query_int("PRAGMA user_version") == 99);
}
