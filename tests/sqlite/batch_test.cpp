// Batches on the SQLite backend: a batch is created in one write transaction (group commit), so
// another connection on the file sees none of it or all of it, and an item the file refuses
// leaves nothing of the batch behind; idempotency keys inside a batch answer as they do for
// triggers one at a time, also across two runtimes on the file.
#include <atomic>
#include <set>
#include <thread>

#include <taskkit/taskkit.hpp>

#include "sqlite_test_support.hpp"
#include "support/taskkit_test.hpp"

using namespace sqlite_test;
using taskkit::run_status;

namespace {

constexpr int batch_size = 1000;

/// A runtime on the file; with no workers it runs nothing (its runs stay queued for the test to count).
taskkit::runtime_options on_file(taskkit::registry& reg, const std::string& path, unsigned workers = 0) {
    auto r = taskkit_test::options(reg, workers);
    auto o = options(path);
    o.poll_interval = 5ms;
    r.backend = taskkit::sqlite_backend(o);
    r.become_default = false;
    return r;
}

std::vector<int> payloads(int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i) out.push_back(i);
    return out;
}

}  // namespace

TEST_CASE("a batch of 1,000 runs on SQLite is one transaction: another connection sees none of it or all of it") {
    temp_dir dir;
    taskkit::registry reg;
    taskkit::task<int, int> echo({.id = "echo", .run = [](const int& n) { return n; }}, reg);
    taskkit::runtime rt(on_file(reg, dir.file()));

    // A second connection counts the runs in the file, as fast as it can, while the batch is made.
    std::atomic<bool> done{false};
    std::set<std::int64_t> seen;
    std::thread reader([&] {
        store::connection watch({.path = dir.file()});
        while (!done.load()) seen.insert(watch.query_int("SELECT count(*) FROM runs"));
        seen.insert(watch.query_int("SELECT count(*) FROM runs"));
    });
    auto batch = rt.batch_trigger(echo, payloads(batch_size));
    done.store(true);
    reader.join();
    REQUIRE(batch.runs.size() == static_cast<std::size_t>(batch_size));
    CHECK(seen.contains(batch_size));
    for (const auto count : seen) {
        INFO("the reader saw " << count << " runs");
        CHECK((count == 0 || count == batch_size));
    }
    store::connection file({.path = dir.file()});
    auto st = file.prepare("SELECT count(*), min(payload), max(payload) FROM runs WHERE batch_id = ?1");
    st.bind(1, batch.id);
    REQUIRE(st.step());
    CHECK(st.int64(0) == batch_size);
    CHECK(st.int64(1) == 0);
    CHECK(st.int64(2) == batch_size - 1);
}

TEST_CASE("a batch whose last item the file refuses creates nothing, and holds none of its idempotency keys") {
    temp_dir dir;
    taskkit::registry reg;
    taskkit::task<int, int> echo({.id = "echo", .run = [](const int& n) { return n; }}, reg);
    taskkit::runtime rt(on_file(reg, dir.file()));
    // The file refuses the batch's last run (a trigger of the test's, on the runs table), after
    // the 999 before it were inserted in the same transaction.
    store::connection file({.path = dir.file()});
    file.exec(fmt::format(
        "CREATE TRIGGER refuse_last BEFORE INSERT ON runs WHEN NEW.payload = '{}' BEGIN SELECT RAISE(ABORT, "
        "'refused by the test'); END",
        batch_size - 1));
    std::vector<taskkit::batch_item<int>> items;
    for (int i = 0; i < batch_size; ++i)
        items.emplace_back(i, taskkit::trigger_options{.idempotency_key = fmt::format("key-{}", i)});
    CHECK_THROWS_AS(rt.batch_trigger(echo, items), taskkit::sqlite_error);
    CHECK(file.query_int("SELECT count(*) FROM runs") == 0);
    CHECK(file.query_int("SELECT count(*) FROM idempotency") == 0);
    CHECK(file.query_int("SELECT count(*) FROM events") == 0);
    // None of the keys is held: a trigger with one creates a new run.
    auto single = rt.trigger(echo, 5, {.idempotency_key = "key-5"});
    CHECK_FALSE(single.is_cached());
    // Once the file takes it, the same batch is created whole; key-5 answers with the single run.
    file.exec("DROP TRIGGER refuse_last");
    auto batch = rt.batch_trigger(echo, items);
    REQUIRE(batch.runs.size() == static_cast<std::size_t>(batch_size));
    CHECK(batch.runs[5].is_cached());
    CHECK(batch.runs[5].id() == single.id());
    CHECK(file.query_int("SELECT count(*) FROM runs") == batch_size);  // 999 of the batch, and the single run
    CHECK(file.query_int(fmt::format("SELECT count(*) FROM runs WHERE batch_id = '{}'", batch.id)) == batch_size - 1);
}

TEST_CASE("idempotency keys inside a batch on SQLite answer as for single triggers, across two runtimes on the file") {
    temp_dir dir;
    std::atomic<int> executions{0};
    auto define = [&](taskkit::registry& reg) {
        return taskkit::task<int, int>({.id = "keyed",
                                        .retry = {.max_attempts = 1},
                                        .run =
                                            [&](const int& n) {
                                                ++executions;
                                                if (n < 0) throw std::runtime_error("negative");
                                                return n;
                                            }},
                                       reg);
    };
    // The first runtime holds "held" with a run, and released "released" with a failed one.
    taskkit::registry reg_a;
    const auto keyed_a = define(reg_a);
    taskkit::runtime a(on_file(reg_a, dir.file(), 1));
    auto held = a.trigger(keyed_a, 100, {.idempotency_key = "held"});
    auto released = a.trigger(keyed_a, -1, {.idempotency_key = "released"});
    REQUIRE(held.wait_for(taskkit_test::deadline));
    REQUIRE(released.wait_for(taskkit_test::deadline));
    REQUIRE(released.status() == run_status::failed);

    // The second runtime, as another process, triggers a batch with those keys and a key twice.
    taskkit::registry reg_b;
    const auto keyed_b = define(reg_b);
    taskkit::runtime b(on_file(reg_b, dir.file(), 1));
    auto batch = b.batch_trigger(keyed_b, {{1, {.idempotency_key = "twice"}},
                                           {2, {.idempotency_key = "held"}},
                                           {3, {.idempotency_key = "twice"}},
                                           {4, {.idempotency_key = "released"}},
                                           {5}});
    REQUIRE(batch.runs.size() == 5);
    CHECK_FALSE(batch.runs[0].is_cached());
    CHECK(batch.runs[1].is_cached());
    CHECK(batch.runs[1].id() == held.id());
    CHECK(batch.runs[2].is_cached());
    CHECK(batch.runs[2].id() == batch.runs[0].id());
    CHECK_FALSE(batch.runs[3].is_cached());
    CHECK(batch.runs[3].id() != released.id());
    CHECK_FALSE(batch.runs[4].is_cached());
    CHECK(batch.runs[0].get() == 1);
    CHECK(batch.runs[1].get() == 100);  // the first runtime's run, read from the file
    CHECK(batch.runs[2].get() == 1);
    CHECK(batch.runs[3].get() == 4);
    CHECK(batch.runs[4].get() == 5);
    CHECK(executions == 2 + 3);  // held, released; then twice, released again, the unkeyed one
    store::connection file({.path = dir.file()});
    CHECK(file.query_int(fmt::format("SELECT count(*) FROM runs WHERE batch_id = '{}'", batch.id)) == 3);
    CHECK(file.query_int("SELECT count(*) FROM idempotency") == 3);  // held, released (now its new run), twice
    CHECK(file.query_text("SELECT run_id FROM idempotency WHERE key = 'released'") == batch.runs[3].id());
}
