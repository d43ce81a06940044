// Realtime on the SQLite backend across runtimes on one file (each with a registry and a backend
// of its own, as processes would have): a child executing in one runtime changes the metadata of
// its parent executing in another, atomically in the file (no increment lost when children race
// from both); a handle in one runtime follows a stream that a run executing in the other appends
// to; a runtime opened after the first is gone reads a completed run's streams and metadata; the
// file keeps the most recent sqlite_options::max_stream_chunks chunks of a stream. Every wait has
// a deadline.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <taskkit/taskkit.hpp>

#include "runtime_on_file.hpp"
#include "sqlite_test_support.hpp"
#include "support/eventually.hpp"
#include "support/taskkit_test.hpp"

using namespace sqlite_test;
using nlohmann::json;
using taskkit::run_status;
using taskkit::update_kind;

namespace {

/// Waits (with the tests' deadline) until `condition` holds; false when it never did.
template <class Condition>
bool wait_until(Condition condition) {
    return taskkit_test::eventually(condition, std::chrono::seconds(20));
}

/// One process's "bump" task: increments its parent's "count", once both processes have started
/// a child (so that children race from both), noting where it ran.
struct bump_process {
    bump_process(std::atomic<int>& here, std::atomic<int>& there, taskkit_test::worker_checks& checks)
        : bump({.id = "bump",
                .run =
                    [&here, &there, &checks](const int&, taskkit::run_context& ctx) {
                        ++here;
                        checks.expect(wait_until([&] { return there.load() > 0; }), "the other runtime ran a child");
                        ctx.metadata().parent().increment("count");
                    }},
               reg) {}
    taskkit::registry reg;
    taskkit::task<int> bump;
};

struct chunk_log {
    std::mutex mutex;
    std::vector<std::size_t> indexes;
    std::vector<json> chunks;
    void add(const taskkit::stream_chunk& c) {
        std::lock_guard lock(mutex);
        indexes.push_back(c.index);
        chunks.push_back(c.data);
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return indexes.size();
    }
};

}  // namespace

TEST_CASE("children in two runtimes on a file increment their parent's metadata, which executes in one of them") {
    constexpr int children = 8;
    temp_dir dir;
    taskkit_test::worker_checks checks;
    std::atomic<int> ran_in_a{0};
    std::atomic<int> ran_in_b{0};
    bump_process a(ran_in_a, ran_in_b, checks);
    bump_process b(ran_in_b, ran_in_a, checks);
    std::atomic<int> seen_by_parent{-1};
    // The parent is defined in A only: it triggers the children, then reads its own metadata
    // (its object in A) until every child's increment reached it, its own ones and B's.
    taskkit::task<int> parent({.id = "parent",
                               .run =
                                   [&](const int& n, taskkit::run_context& ctx) {
                                       ctx.metadata().set("count", 0);
                                       for (int i = 0; i < n; ++i) (void)a.bump.trigger(i);
                                       const bool all = wait_until([&] { return ctx.metadata().get("count") == n; });
                                       seen_by_parent = ctx.metadata().get("count").get<int>();
                                       checks.expect(all, "the parent saw every child's increment");
                                   }},
                              a.reg);
    // A: one worker for the parent, one for children; B: three for children.
    taskkit::runtime rt_a(runtime_on_file(a.reg, dir.file(), 2));
    taskkit::runtime rt_b(runtime_on_file(b.reg, dir.file(), 3));
    std::mutex mutex;
    std::vector<int> counts;  // the "count" of each metadata update A's watcher got
    auto handle = rt_a.trigger(parent, children);
    auto watching = handle.watch([&](const taskkit::run_update& u) {
        if (u.kind != update_kind::metadata || !u.metadata) return;
        std::lock_guard lock(mutex);
        counts.push_back(u.metadata->value("count", -1));
    });
    REQUIRE(handle.wait_for(taskkit_test::deadline));
    CHECK(handle.status() == run_status::completed);
    CHECK(checks.failures().empty());
    CHECK(seen_by_parent.load() == children);
    CHECK(ran_in_a.load() + ran_in_b.load() == children);
    CHECK(ran_in_a.load() > 0);
    CHECK(ran_in_b.load() > 0);
    // Exact in the file, read by either runtime: no increment was lost to a copy written over it.
    CHECK(rt_b.retrieve(handle.id())->metadata["count"] == children);
    CHECK(rt_a.retrieve(handle.id())->metadata["count"] == children);
    std::lock_guard lock(mutex);
    CHECK(std::find(counts.begin(), counts.end(), children) != counts.end());
}

TEST_CASE("a handle in one runtime follows a stream that a run executing in another appends to") {
    constexpr int n = 300;
    temp_dir dir;
    taskkit::registry reg_a;
    taskkit::registry reg_b;
    std::atomic<bool> go{false};
    auto body = [&go](const int& count, taskkit::run_context& ctx) {
        if (!wait_until([&] { return go.load(); })) throw std::runtime_error("never told to go");
        auto tokens = ctx.stream("tokens");
        for (int i = 0; i < count; ++i) tokens.append(json{{"i", i}});
        ctx.metadata().set("done", true);
    };
    taskkit::task<int> writer_a({.id = "writer", .run = body}, reg_a);
    taskkit::task<int> writer_b({.id = "writer", .run = body}, reg_b);
    taskkit::runtime rt_a(runtime_on_file(reg_a, dir.file(), 0));  // executes nothing: follows only
    taskkit::runtime rt_b(runtime_on_file(reg_b, dir.file(), 2));
    auto started = rt_b.trigger(writer_b, n);
    auto followed = rt_a.handle(started.id());
    REQUIRE(followed);
    chunk_log early;
    auto following = followed->stream("tokens").subscribe([&](const taskkit::stream_chunk& c) { early.add(c); });
    go = true;
    // A second follower joins while the run appends: the chunks kept first, then the live ones.
    REQUIRE(wait_until([&] { return early.size() >= n / 3; }));
    chunk_log late;
    auto joining = followed->stream("tokens").subscribe([&](const taskkit::stream_chunk& c) { late.add(c); });
    REQUIRE(started.wait_for(taskkit_test::deadline));
    REQUIRE(wait_until([&] { return early.size() >= n && late.size() >= n; }));
    for (auto* log : {&early, &late}) {
        std::lock_guard lock(log->mutex);
        REQUIRE(log->indexes.size() == static_cast<std::size_t>(n));  // each once
        for (int i = 0; i < n; ++i) {
            CHECK(log->indexes[static_cast<std::size_t>(i)] == static_cast<std::size_t>(i));  // in order
            CHECK(log->chunks[static_cast<std::size_t>(i)] == json{{"i", i}});
        }
    }
    auto whole = followed->stream("tokens").read();
    CHECK(whole.dropped == 0);
    CHECK(whole.chunks.size() == static_cast<std::size_t>(n));
}

TEST_CASE("a runtime opened on the file after the first is gone reads a completed run's streams and metadata") {
    temp_dir dir;
    std::string id;
    {
        taskkit::registry reg;
        taskkit::task<int> writer({.id = "writer",
                                   .run =
                                       [](const int& count, taskkit::run_context& ctx) {
                                           for (int i = 0; i < count; ++i) ctx.stream("tokens").append(i);
                                           ctx.stream("progress").append("done");
                                           ctx.metadata().set("phase", "done").increment("chunks", count);
                                       }},
                                  reg);
        taskkit::runtime rt(runtime_on_file(reg, dir.file(), 1));
        auto handle = rt.trigger(writer, 50);
        REQUIRE(handle.wait_for(taskkit_test::deadline));
        id = handle.id();
    }
    taskkit::registry reg;
    taskkit::task<int> writer({.id = "writer", .run = [](const int&, taskkit::run_context&) {}}, reg);
    taskkit::runtime rt(runtime_on_file(reg, dir.file(), 0));
    auto record = rt.retrieve(id);
    REQUIRE(record);
    CHECK(record->status == run_status::completed);
    CHECK(record->metadata == json{{"phase", "done"}, {"chunks", 50}});
    REQUIRE(record->streams.size() == 2);
    const auto& tokens = record->streams.at("tokens");
    CHECK(tokens.dropped == 0);
    REQUIRE(tokens.chunks.size() == 50);
    for (int i = 0; i < 50; ++i) CHECK(tokens.chunks[static_cast<std::size_t>(i)] == i);
    CHECK(record->streams.at("progress").chunks == std::vector<json>{"done"});
    // Through a handle: the runtime's object for the run is made from the record, streams included.
    auto handle = rt.handle(id);
    REQUIRE(handle);
    auto read = handle->stream("tokens").read();
    CHECK(read.chunks.size() == 50);
    chunk_log replayed;
    auto following = handle->stream("progress").subscribe([&](const taskkit::stream_chunk& c) { replayed.add(c); });
    CHECK(replayed.size() == 1);
}

TEST_CASE("the file keeps the most recent max_stream_chunks chunks of a stream and deletes the older rows") {
    temp_dir dir;
    taskkit::registry reg;
    taskkit::task<int> writer({.id = "writer",
                               .run =
                                   [](const int& count, taskkit::run_context& ctx) {
                                       for (int i = 0; i < count; ++i) {
                                           ctx.stream("tokens").append(i);
                                           if (i % 7 == 0) ctx.metadata().set("i", i);  // flushes the chunks so far
                                       }
                                       ctx.stream("other").append("x");
                                   }},
                              reg);
    auto opts = runtime_on_file(reg, dir.file(), 1);
    auto file = options(dir.file());
    file.poll_interval = std::chrono::milliseconds(5);
    file.max_stream_chunks = 5;
    opts.backend = taskkit::sqlite_backend(file);
    taskkit::runtime rt(opts);
    auto handle = rt.trigger(writer, 40);
    REQUIRE(handle.wait_for(taskkit_test::deadline));
    store::store s(options(dir.file()));
    auto record = s.find(handle.id());
    REQUIRE(record);
    const auto& tokens = record->streams.at("tokens");
    CHECK(tokens.dropped == 35);
    CHECK(tokens.chunks == std::vector<json>{35, 36, 37, 38, 39});
    CHECK(record->streams.at("other").chunks.size() == 1);
    CHECK(s.writer().query_int("SELECT count(*) FROM stream_chunks") == 6);
    // The chunks go with their run.
    s.writer().exec("DELETE FROM runs");
    CHECK(s.writer().query_int("SELECT count(*) FROM stream_chunks") == 0);
}

TEST_CASE("update_metadata refuses a run the file does not hold with a state_error") {
    temp_dir dir;
    auto backend = taskkit::sqlite_backend(options(dir.file()));
    CHECK_THROWS_AS(backend->update_metadata("run_missing", {taskkit::metadata_operation::increment, "n", 1}),
                    taskkit::state_error);
}

TEST_CASE("a runtime on the file lists and follows by batch id the runs of a batch another runtime triggered") {
    temp_dir dir;
    taskkit::registry reg_a;
    taskkit::registry reg_b;
    std::atomic<bool> go{false};
    auto body = [&go](const int& n, taskkit::run_context& ctx) {
        if (!wait_until([&] { return go.load(); })) throw std::runtime_error("never told to go");
        ctx.metadata().set("n", n);
        return n * n;
    };
    taskkit::task<int, int> square_a({.id = "square", .run = body}, reg_a);
    taskkit::task<int, int> square_b({.id = "square", .run = body}, reg_b);
    taskkit::runtime rt_a(runtime_on_file(reg_a, dir.file(), 0));  // executes nothing: follows only
    taskkit::runtime rt_b(runtime_on_file(reg_b, dir.file(), 2));
    std::mutex mutex;
    std::vector<std::string> ids;
    int completed = 0;
    int metadata = 0;
    auto other = rt_b.batch_trigger(square_b, {4, 5});
    auto first = rt_b.batch_trigger(square_b, {1, 2, 3});
    // Made after the batch's runs were created: the watch filters the mirrors A makes of them,
    // which carry their batch id from the file.
    auto watching = rt_a.watch(taskkit::run_filter{.batch_id = first.id}, [&](const taskkit::run_update& u) {
        std::lock_guard lock(mutex);
        ids.emplace_back(u.run_id);
        if (u.kind == update_kind::status && u.status == run_status::completed) ++completed;
        if (u.kind == update_kind::metadata) ++metadata;
    });
    go = true;
    for (const auto& run : first.runs) REQUIRE(run.wait_for(taskkit_test::deadline));
    for (const auto& run : other.runs) REQUIRE(run.wait_for(taskkit_test::deadline));
    CHECK(rt_a.list({.batch_id = first.id}).runs.size() == 3);
    CHECK(rt_a.list({.batch_id = other.id}).runs.size() == 2);
    REQUIRE(wait_until([&] {
        std::lock_guard lock(mutex);
        return completed == 3 && metadata == 3;
    }));
    std::lock_guard lock(mutex);
    for (const auto& id : ids)
        CHECK(std::any_of(first.runs.begin(), first.runs.end(), [&](const auto& r) { return r.id() == id; }));
}
