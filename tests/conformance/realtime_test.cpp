// Conformance: realtime — streams a run appends to (ctx.stream), followed as they grow and read
// whole afterwards; watching a run's status, metadata and stream changes; a child's changes of
// its parent's and root's metadata; following the runs of a batch or a tag.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "conformance.hpp"

using namespace taskkit_test;
using namespace std::chrono_literals;
using nlohmann::json;
using taskkit::run_status;
using taskkit::update_kind;

namespace {

/// What a watcher saw, copied out of the callbacks (they run on the workers).
struct seen_updates {
    std::mutex mutex;
    std::vector<update_kind> kinds;
    std::vector<run_status> statuses;
    std::vector<json> metadata;
    std::vector<std::string> changes;  ///< "<operation> <key>" of each metadata change
    std::vector<std::pair<std::string, json>> chunks;
    std::vector<std::string> run_ids;

    void add(const taskkit::run_update& u) {
        std::lock_guard lock(mutex);
        kinds.push_back(u.kind);
        run_ids.emplace_back(u.run_id);
        if (u.kind == update_kind::status) statuses.push_back(u.status);
        if (u.kind == update_kind::metadata && u.metadata) {
            metadata.push_back(*u.metadata);
            if (u.change) changes.push_back(std::string(to_string(u.change->operation)) + " " + u.change->key);
        }
        if (u.kind == update_kind::stream && u.chunk) chunks.emplace_back(std::string(u.stream), *u.chunk);
    }
    template <class F>
    auto read(F f) {
        std::lock_guard lock(mutex);
        return f(*this);
    }
};

}  // namespace

TEMPLATE_LIST_TEST_CASE("conformance: a run's stream is read whole after the run, in the order it was appended",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int> writer({.id = "writer",
                               .run =
                                   [](const int& n, taskkit::run_context& ctx) {
                                       auto tokens = ctx.stream("tokens");
                                       for (int i = 0; i < n; ++i) tokens.append(json{{"i", i}});
                                       ctx.stream("progress").append("half").append("done");
                                   }},
                              reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    auto handle = rt.trigger(writer, 50);
    REQUIRE(handle.wait_for(deadline));
    REQUIRE(handle.status() == run_status::completed);
    const auto tokens = handle.stream("tokens").read();
    REQUIRE(tokens.chunks.size() == 50);
    CHECK(tokens.dropped == 0);
    for (int i = 0; i < 50; ++i) CHECK(tokens.chunks[static_cast<std::size_t>(i)] == json{{"i", i}});
    CHECK(rt.stream(handle.id(), "progress").read().chunks == std::vector<json>{"half", "done"});
    CHECK(handle.stream("never-written").read().chunks.empty());
    // On the record too, as the runs API and the HTTP API read it.
    const auto record = rt.retrieve(handle.id());
    REQUIRE(record);
    REQUIRE(record->streams.count("tokens") == 1);
    CHECK(record->streams.at("tokens").chunks.size() == 50);
    CHECK(record->streams.at("progress").chunks.back() == "done");
}

TEMPLATE_LIST_TEST_CASE("conformance: a stream keeps its most recent chunks, counting those it dropped",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int> writer({.id = "writer",
                               .run =
                                   [](const int& n, taskkit::run_context& ctx) {
                                       for (int i = 0; i < n; ++i) ctx.stream("s").append(i);
                                   }},
                              reg);
    auto o = conformance::options<TestType>(reg, 1);
    o.max_stream_chunks = 4;
    taskkit::runtime rt(o);
    auto handle = rt.trigger(writer, 10);
    REQUIRE(handle.wait_for(deadline));
    const auto s = handle.stream("s").read();
    CHECK(s.dropped == 6);
    CHECK(s.chunks == std::vector<json>{6, 7, 8, 9});
}

TEMPLATE_LIST_TEST_CASE(
    "conformance: a stream subscriber gets the chunks appended before it, then each new one, once and in order",
    "[conformance]", conformance::backends) {
    taskkit::registry reg;
    gate halfway_seen;
    std::atomic<bool> halfway{false};
    taskkit::task<int> writer({.id = "writer",
                               .run =
                                   [&](const int& n, taskkit::run_context& ctx) {
                                       auto out = ctx.stream("tokens");
                                       for (int i = 0; i < n / 2; ++i) out.append(i);
                                       halfway = true;
                                       halfway_seen.wait();  // the test subscribes now
                                       for (int i = n / 2; i < n; ++i) out.append(i);
                                   }},
                              reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    auto handle = rt.trigger(writer, 400);
    REQUIRE(eventually([&] { return halfway.load(); }));
    std::mutex m;
    std::vector<std::size_t> indexes;
    std::vector<json> data;
    auto following = handle.stream("tokens").subscribe([&](const taskkit::stream_chunk& c) {
        std::lock_guard lock(m);
        indexes.push_back(c.index);
        data.push_back(c.data);
    });
    {
        std::lock_guard lock(m);
        CHECK(indexes.size() == 200);  // the replay came first, on this thread
    }
    halfway_seen.open();
    REQUIRE(handle.wait_for(deadline));
    following.unsubscribe();
    std::lock_guard lock(m);
    REQUIRE(indexes.size() == 400);
    for (std::size_t i = 0; i < 400; ++i) {
        CHECK(indexes[i] == i);
        CHECK(data[i] == static_cast<int>(i));
    }
}

TEMPLATE_LIST_TEST_CASE("conformance: subscribing while a run appends as fast as it can loses and repeats no chunk",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<bool> started{false};
    taskkit::task<int> writer({.id = "writer",
                               .run =
                                   [&](const int& n, taskkit::run_context& ctx) {
                                       auto out = ctx.stream("fast");
                                       for (int i = 0; i < n; ++i) {
                                           out.append(i);
                                           if (i == 10) started = true;
                                       }
                                   }},
                              reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    auto handle = rt.trigger(writer, 3000);
    REQUIRE(eventually([&] { return started.load(); }));
    std::mutex m;
    std::vector<std::size_t> indexes;
    auto following = handle.stream("fast").subscribe([&](const taskkit::stream_chunk& c) {
        std::lock_guard lock(m);
        indexes.push_back(c.index);
    });
    REQUIRE(handle.wait_for(deadline));
    following.unsubscribe();
    std::lock_guard lock(m);
    REQUIRE(indexes.size() == 3000);
    for (std::size_t i = 0; i < indexes.size(); ++i) CHECK(indexes[i] == i);
}

TEMPLATE_LIST_TEST_CASE("conformance: watching a run passes its status, metadata and stream changes as they happen",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    gate go;
    taskkit::task<json> job({.id = "job",
                             .run =
                                 [&](const json&, taskkit::run_context& ctx) {
                                     go.wait();
                                     ctx.metadata().set("phase", "download").increment("files", 2);
                                     ctx.stream("log").append("fetched");
                                     ctx.metadata().append("seen", "a").remove("phase");
                                 }},
                            reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    auto handle = rt.trigger(job, json::object());
    seen_updates seen;
    auto watching = handle.watch([&](const taskkit::run_update& u) { seen.add(u); });
    go.open();
    REQUIRE(handle.wait_for(deadline));
    REQUIRE(eventually([&] {
        return seen.read([](auto& s) { return !s.statuses.empty() && s.statuses.back() == run_status::completed; });
    }));
    watching.unsubscribe();
    seen.read([](seen_updates& s) {
        CHECK(s.changes == std::vector<std::string>{"set phase", "increment files", "append seen", "remove phase"});
        REQUIRE(s.metadata.size() == 4);
        CHECK(s.metadata[0] == json{{"phase", "download"}});
        CHECK(s.metadata[1] == json{{"phase", "download"}, {"files", 2}});
        CHECK(s.metadata[3] == json{{"files", 2}, {"seen", {"a"}}});
        REQUIRE(s.chunks.size() == 1);
        CHECK(s.chunks[0] == std::pair<std::string, json>{"log", "fetched"});
        // The metadata and stream changes came between the run's executing and completed updates.
        const auto first_change = std::find(s.kinds.begin(), s.kinds.end(), update_kind::metadata);
        const auto last_status = std::find(s.kinds.rbegin(), s.kinds.rend(), update_kind::status);
        CHECK(first_change < last_status.base());
        return 0;
    });
}

TEMPLATE_LIST_TEST_CASE("conformance: a child changes its parent's and its root's metadata, visible to their watchers",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    worker_checks checks;
    gate go;  // the root changes its metadata once the test watches it
    taskkit::task<int> leaf({.id = "leaf",
                             .run =
                                 [&](const int&, taskkit::run_context& ctx) {
                                     ctx.metadata().parent().increment("leaves_done");
                                     ctx.metadata().root().append("log", "leaf " + std::string(ctx.run().id));
                                     checks.expect(ctx.metadata().root().run_id() != ctx.metadata().parent().run_id(),
                                                   "a leaf's root is its grandparent");
                                 }},
                            reg);
    taskkit::task<int> middle({.id = "middle",
                               .run =
                                   [&](const int& n, taskkit::run_context& ctx) {
                                       std::vector<taskkit::batch_item<int>> items;
                                       for (int i = 0; i < n; ++i) items.push_back({i});
                                       (void)leaf.batch_trigger_and_wait(items);
                                       checks.expect(ctx.metadata().get("leaves_done") == n, "every leaf counted");
                                       ctx.metadata().parent().increment("middles_done");
                                   }},
                              reg);
    taskkit::task<int> top({.id = "top",
                            .run =
                                [&](const int& n, taskkit::run_context& ctx) {
                                    checks.expect(ctx.metadata().root().run_id() == ctx.run().id,
                                                  "a root run is its own root");
                                    checks.expect(go.wait(), "the test opened the gate");
                                    ctx.metadata().set("started", true);
                                    (void)middle.batch_trigger_and_wait({n, n});
                                }},
                           reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 4));
    auto handle = rt.trigger(top, 3);
    seen_updates seen;
    auto watching = handle.watch([&](const taskkit::run_update& u) { seen.add(u); });
    go.open();
    REQUIRE(handle.wait_for(deadline));
    REQUIRE(handle.status() == run_status::completed);
    CHECK(checks.failures() == std::vector<std::string>{});
    CHECK(checks.count() == 10);  // 2 top, 6 leaves, 2 middles
    const auto metadata = rt.retrieve(handle.id())->metadata;
    CHECK(metadata["middles_done"] == 2);
    CHECK(metadata["log"].size() == 6);
    CHECK(metadata["started"] == true);
    REQUIRE(eventually([&] {
        return seen.read([](auto& s) { return !s.statuses.empty() && s.statuses.back() == run_status::completed; });
    }));
    seen.read([](seen_updates& s) {
        // The root's own set, 6 appends from the leaves, 2 increments from the middles.
        CHECK(s.changes.size() == 9);
        CHECK(std::count(s.changes.begin(), s.changes.end(), "append log") == 6);
        CHECK(std::count(s.changes.begin(), s.changes.end(), "increment middles_done") == 2);
        return 0;
    });
}

TEMPLATE_LIST_TEST_CASE(
    "conformance: a root run has no parent metadata, and a bad stream is refused with a typed error", "[conformance]",
    conformance::backends) {
    taskkit::registry reg;
    worker_checks checks;
    taskkit::task<json> job({.id = "job",
                             .run =
                                 [&](const json&, taskkit::run_context& ctx) {
                                     bool refused = false;
                                     try {
                                         ctx.metadata().parent().set("x", 1);
                                     } catch (const taskkit::state_error&) {
                                         refused = true;
                                     }
                                     checks.expect(refused, "parent() of a root run throws state_error");
                                     for (const char* bad : {"", "has space", "slash/y", "\xc3\xa9"}) {
                                         refused = false;
                                         try {
                                             (void)ctx.stream(bad);
                                         } catch (const taskkit::options_error&) {
                                             refused = true;
                                         }
                                         checks.expect(refused, std::string("stream name refused: ") + bad);
                                     }
                                     json deep = 1;
                                     for (int i = 0; i < 300; ++i) deep = json::array({deep});
                                     refused = false;
                                     try {
                                         ctx.stream("s").append(deep);
                                     } catch (const taskkit::options_error&) {
                                         refused = true;
                                     }
                                     checks.expect(refused, "a chunk nesting too deep is refused");
                                     refused = false;
                                     try {
                                         for (int i = 0; i < 100; ++i) ctx.stream("s" + std::to_string(i)).append(i);
                                     } catch (const taskkit::options_error&) {
                                         refused = true;
                                     }
                                     checks.expect(refused, "a run has at most 64 streams");
                                     refused = false;
                                     try {
                                         ctx.metadata().set("n", "text").increment("n");
                                     } catch (const taskkit::options_error&) {
                                         refused = true;
                                     }
                                     checks.expect(refused && ctx.metadata().get("n") == "text",
                                                   "a refused increment changes nothing");
                                 }},
                            reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 1));
    auto handle = rt.trigger(job, json::object());
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.status() == run_status::completed);
    CHECK(checks.failures().empty());
    CHECK(checks.count() == 8);
    const auto record = rt.retrieve(handle.id());
    CHECK(record->streams.size() == 64);  // s0 … s63; the 65th was refused
    CHECK_THROWS_AS(handle.stream("not a name"), taskkit::options_error);
    CHECK_THROWS_AS(rt.stream("run_unknown", "s").read(), taskkit::state_error);
}

TEMPLATE_LIST_TEST_CASE("conformance: the runs of one batch are listed and followed by its id", "[conformance]",
                        conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int, int> square({.id = "square", .run = [](const int& n) { return n * n; }}, reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    seen_updates seen;
    auto first = square.batch_trigger({1, 2, 3});
    auto watching =
        rt.watch(taskkit::run_filter{.batch_id = first.id}, [&](const taskkit::run_update& u) { seen.add(u); });
    auto other = square.batch_trigger({4, 5});
    for (const auto& run : first.runs) REQUIRE(run.wait_for(deadline));
    for (const auto& run : other.runs) REQUIRE(run.wait_for(deadline));
    const auto page = rt.list({.batch_id = first.id});
    CHECK(page.runs.size() == 3);
    for (const auto& r : page.runs) CHECK(r.batch_id == first.id);
    CHECK(rt.list({.batch_id = other.id}).runs.size() == 2);
    CHECK(rt.list({.batch_id = "batch_none"}).runs.empty());
    watching.unsubscribe();
    seen.read([&](seen_updates& s) {
        for (const auto& id : s.run_ids) {
            CHECK(std::any_of(page.runs.begin(), page.runs.end(), [&](const auto& r) { return r.id == id; }));
        }
        return 0;
    });
}

TEMPLATE_LIST_TEST_CASE("conformance: watching by tag follows the runs carrying it, their metadata included",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int> job(
        {.id = "job", .run = [](const int& n, taskkit::run_context& ctx) { ctx.metadata().set("n", n); }}, reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    seen_updates seen;
    auto watching = rt.watch(taskkit::run_filter{.tags = {"vip"}}, [&](const taskkit::run_update& u) { seen.add(u); });
    auto vip = rt.trigger(job, 1, {.tags = {"vip"}});
    auto plain = rt.trigger(job, 2);
    REQUIRE(vip.wait_for(deadline));
    REQUIRE(plain.wait_for(deadline));
    REQUIRE(eventually([&] {
        return seen.read([](auto& s) { return !s.statuses.empty() && s.statuses.back() == run_status::completed; });
    }));
    watching.unsubscribe();
    seen.read([&](seen_updates& s) {
        for (const auto& id : s.run_ids) CHECK(id == vip.id());
        REQUIRE(s.metadata.size() == 1);
        CHECK(s.metadata[0] == json{{"n", 1}});
        return 0;
    });
}
