// The runs API: retrieve, list with filters and paging, replay, cancel, subscribe, metadata.
#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;

TEST_CASE("list filters by status, task, tag, queue and time, newest first, with paging") {
    taskkit::registry reg;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::task<int> ok({.id = "ok", .run = [](const int&) {}}, reg);
    taskkit::task<int> bad(
        {.id = "bad", .retry = {.max_attempts = 1}, .run = [](const int&) { throw std::runtime_error("x"); }}, reg);
    taskkit::runtime rt(options(reg, 2, clock));
    std::vector<std::string> ids;
    for (int i = 0; i < 25; ++i) {
        auto h = (i % 5 == 0) ? rt.trigger(bad, i, {.tags = {"five"}})
                              : rt.trigger(ok, i, {.tags = {i % 2 ? "odd" : "even"}});
        REQUIRE(h.wait_for(deadline));
        ids.push_back(h.id());
        clock->advance(std::chrono::seconds(1));
    }
    const auto failed = rt.list({.statuses = {taskkit::run_status::failed}});
    REQUIRE(failed.runs.size() == 5);
    CHECK(failed.runs[0].id == ids[20]);  // newest first
    CHECK(rt.list({.tasks = {"ok"}}).runs.size() == 20);
    CHECK(rt.list({.tags = {"odd"}}).runs.size() == 10);
    CHECK(rt.list({.queue = "bad"}).runs.size() == 5);
    const auto start = clock->now() - std::chrono::seconds(25);
    CHECK(rt.list({.created_from = start + std::chrono::seconds(10), .created_to = start + std::chrono::seconds(20)})
              .runs.size() == 10);
    // Paging through everything, 7 at a time, sees each run once.
    std::vector<std::string> seen;
    taskkit::run_filter page_filter{.limit = 7};
    for (;;) {
        auto page = rt.list(page_filter);
        for (auto& r : page.runs) seen.push_back(r.id);
        if (page.next_cursor.empty()) break;
        page_filter.cursor = page.next_cursor;
    }
    CHECK(seen.size() == 25);
    std::sort(seen.begin(), seen.end());
    CHECK(std::unique(seen.begin(), seen.end()) == seen.end());
    CHECK_THROWS_AS(rt.list({.cursor = "garbage"}), taskkit::options_error);
}

TEST_CASE("retrieve, replay and cancel by id") {
    taskkit::registry reg;
    taskkit::task<int, int> t({.id = "by-id", .run = [](const int& n) { return n + 1; }}, reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(t, 1);
    h.wait();
    auto record = rt.retrieve(h.id());
    REQUIRE(record);
    CHECK(record->output == 2);
    auto replayed = rt.replay(h.id());
    CHECK(replayed.get() == 2);
    CHECK(replayed.id() != h.id());
    CHECK_FALSE(rt.retrieve("run_unknown"));
    CHECK_FALSE(rt.cancel("run_unknown"));
    CHECK_THROWS_AS(rt.replay("run_unknown"), taskkit::state_error);
}

TEST_CASE("subscribe to one run, or to a filter") {
    taskkit::registry reg;
    taskkit::task<int> a({.id = "sub-a", .run = [](const int&) {}}, reg);
    taskkit::task<int> b({.id = "sub-b", .run = [](const int&) {}}, reg);
    taskkit::runtime rt(options(reg));
    event_log only_b;
    auto sub = rt.subscribe(taskkit::run_filter{.tasks = {"sub-b"}}, [&](const taskkit::status_event& e) {
        only_b.add(std::string(e.task_id) + ":" + std::string(taskkit::to_string(e.status)));
    });
    auto ha = rt.trigger(a, 1, {.delay = std::chrono::hours(1)});
    event_log one_run;
    auto sub2 = rt.subscribe(
        ha.id(), [&](const taskkit::status_event& e) { one_run.add(std::string(taskkit::to_string(e.status))); });
    auto hb = rt.trigger(b, 1);
    REQUIRE(hb.wait_for(deadline));
    REQUIRE(eventually([&] { return only_b.get().size() == 3; }));
    CHECK(only_b.get() == std::vector<std::string>{"sub-b:queued", "sub-b:executing", "sub-b:completed"});
    ha.cancel();
    REQUIRE(eventually([&] { return one_run.get().size() == 1; }));
    CHECK(one_run.get() == std::vector<std::string>{"canceled"});
}

TEST_CASE("ctx.metadata(): set, append, increment, decrement, remove, visible while executing") {
    taskkit::registry reg;
    worker_checks checks;
    gate check_now;
    gate checked;
    taskkit::task<int> t(
        {.id = "meta",
         .run =
             [&](const int&, taskkit::run_context& ctx) {
                 ctx.metadata().set("stage", "upload").increment("files").increment("files", 2).append("log", "a");
                 ctx.metadata().decrement("files").increment("ratio", 0.5).remove("temp");
                 check_now.open();
                 checked.wait();
                 WORKER_CHECK_THROWS_AS(checks, ctx.metadata().append("stage", 1), taskkit::options_error);
                 WORKER_CHECK_THROWS_AS(checks, ctx.metadata().increment("log"), taskkit::options_error);
                 ctx.metadata().set("stage", "done");
             }},
        reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(t, 0, {.metadata = {{"temp", true}, {"owner", "ops"}}});
    REQUIRE(check_now.wait());
    const auto live = rt.retrieve(h.id())->metadata;
    CHECK(live == json{{"stage", "upload"}, {"files", 2}, {"log", {"a"}}, {"ratio", 0.5}, {"owner", "ops"}});
    checked.open();
    REQUIRE(h.wait_for(deadline));
    CHECK(h.snapshot().metadata["stage"] == "done");
    CHECK(checks.failures() == no_failures);
    CHECK(checks.count() == 2);
}
