// Conformance: waits inside runs (slots given back, nested waits on a queue of one, several runs
// at once), batches, the runs API (retrieve, list with filters and paging, replay), and status
// events in order.
#include "conformance.hpp"

using namespace taskkit_test;
using namespace std::chrono_literals;
using taskkit::run_status;

TEMPLATE_LIST_TEST_CASE("conformance: parent, child and grandchild on one queue of one complete on one worker",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    const taskkit::queue_options serial{.name = "serial", .concurrency_limit = 1};
    taskkit::task<int, int> leaf({.id = "leaf", .queue = serial, .run = [](const int& n) { return n * 10; }}, reg);
    taskkit::task<int, int> mid(
        {.id = "mid", .queue = serial, .run = [&](const int& n) { return leaf.trigger_and_wait(n).unwrap() + 1; }},
        reg);
    taskkit::task<int, int> top(
        {.id = "top", .queue = serial, .run = [&](const int& n) { return mid.trigger_and_wait(n).unwrap() + 1; }}, reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 1));
    auto h = rt.trigger(top, 4);
    REQUIRE(h.wait_for(deadline));
    CHECK(h.get() == 42);
    // And on a runtime without threads.
    taskkit::testing::harness harness(conformance::harness<TestType>(reg));
    CHECK(harness.runtime().trigger(top, 1).get() == 12);
}

TEMPLATE_LIST_TEST_CASE("conformance: a waiting run holds no slot: a sibling of its queue runs meanwhile",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    const taskkit::queue_options one{.name = "one", .concurrency_limit = 1};
    taskkit::task<int> sibling({.id = "sibling", .queue = one, .run = [](const int&) {}}, reg);
    std::atomic<int> sibling_done_while_waiting{0};
    taskkit::task<int> waiter({.id = "waiter",
                               .queue = one,
                               .run =
                                   [&](const int&, taskkit::run_context& ctx) {
                                       auto s = sibling.trigger(0);
                                       (void)ctx.wait_for(1h);  // virtual time: the harness jumps it
                                       if (s.status() == run_status::completed) ++sibling_done_while_waiting;
                                   }},
                              reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto w = h.runtime().trigger(waiter, 0);
    w.wait();
    CHECK(w.status() == run_status::completed);
    CHECK(sibling_done_while_waiting == 1);
}

TEMPLATE_LIST_TEST_CASE("conformance: wait_all and wait_any over several runs inside a run", "[conformance]",
                        conformance::backends) {
    taskkit::registry reg;
    worker_checks checks;
    taskkit::task<int, int> square({.id = "square", .run = [](const int& n) { return n * n; }}, reg);
    taskkit::task<int, int> sum({.id = "sum",
                                 .run =
                                     [&](const int& n) {
                                         std::vector<taskkit::run_handle<int>> hs;
                                         for (int i = 1; i <= n; ++i) hs.push_back(square.trigger(i));
                                         taskkit::wait_all(hs);
                                         int total = 0;
                                         for (auto& h : hs) total += h.get();
                                         const std::size_t first = taskkit::wait_any(hs);
                                         WORKER_CHECK(checks, first < hs.size());
                                         return total;
                                     }},
                                reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    CHECK(rt.trigger(sum, 10).get() == 385);
    CHECK(checks.failures() == no_failures);
    CHECK(checks.count() == 1);
}

TEMPLATE_LIST_TEST_CASE("conformance: a batch creates every run in order under one id, or none", "[conformance]",
                        conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int, int> twice({.id = "twice", .run = [](const int& n) { return 2 * n; }}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto batch = h.runtime().batch_trigger(twice, {1, 2, {3, {.tags = {"third"}}}});
    REQUIRE(batch.runs.size() == 3);
    auto results = h.runtime().batch_trigger_and_wait(twice, {4, 5});
    CHECK(results.ok());
    CHECK(results[0].unwrap() == 8);
    for (std::size_t i = 0; i < batch.runs.size(); ++i) {
        CHECK(batch.runs[i].get() == 2 * static_cast<int>(i + 1));
        CHECK(batch.runs[i].snapshot().batch_id == batch.id);
    }
    CHECK(batch.runs[2].snapshot().tags == std::vector<std::string>{"third"});
    const auto before = h.runtime().list({.limit = 1000}).runs.size();
    CHECK_THROWS_AS(h.runtime().batch_trigger(twice, {1, {2, {.tags = {""}}}}), taskkit::options_error);
    CHECK(h.runtime().list({.limit = 1000}).runs.size() == before);  // one bad item, nothing created
}

TEMPLATE_LIST_TEST_CASE("conformance: a handle taken by id while its run ends sees the run end", "[conformance]",
                        conformance::backends) {
    // Nothing holds the run's object between the trigger and the lookup, so the lookup may build
    // one from the backend's record while a worker finishes the run: a record read before the end
    // must never land on the object after the end was applied.
    taskkit::registry reg;
    std::atomic<int> done{0};
    taskkit::task<int, int> quick({.id = "quick",
                                   .run =
                                       [&](const int& n) {
                                           ++done;
                                           return n;
                                       }},
                                  reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2));
    constexpr int runs = 300;
    std::vector<std::string> ids;
    std::vector<taskkit::run_handle<nlohmann::json>> handles;
    for (int i = 0; i < runs; ++i) {
        ids.push_back(rt.trigger(quick, i).id());  // the trigger's handle is gone at once
        auto h = rt.handle(ids.back());
        REQUIRE(h);
        handles.push_back(std::move(*h));
    }
    int ended = 0;
    for (auto& h : handles)
        if (h.wait_for(deadline)) ++ended;
    CHECK(ended == runs);
    CHECK(done == runs);
    for (int i = 0; i < runs; i += 37) CHECK(handles[static_cast<std::size_t>(i)].status() == run_status::completed);
}

TEMPLATE_LIST_TEST_CASE("conformance: retrieve, list with filters and paging, replay", "[conformance]",
                        conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int, int> echo({.id = "echo", .run = [](const int& n) { return n; }}, reg);
    taskkit::task<int> fail(
        {.id = "fail", .retry = {.max_attempts = 1}, .run = [](const int&) { throw std::runtime_error("bad"); }}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    std::vector<std::string> ids;
    for (int i = 0; i < 25; ++i) {
        ids.push_back(rt.trigger(echo, i, {.tags = {i % 2 == 0 ? "even" : "odd"}}).id());
        h.clock().advance(1s);
    }
    auto failed = rt.trigger(fail, 0);
    h.run_until_idle();
    const auto record = rt.retrieve(ids[3]);
    REQUIRE(record.has_value());
    CHECK(record->status == run_status::completed);
    CHECK(record->output == 3);
    CHECK(record->tags == std::vector<std::string>{"odd"});
    CHECK_FALSE(rt.retrieve("run_nonexistent").has_value());
    CHECK(rt.list({.statuses = {run_status::failed}}).runs.size() == 1);
    CHECK(rt.list({.tasks = {"echo"}, .tags = {"even"}, .limit = 100}).runs.size() == 13);
    // Pages of 10, newest first, every run once.
    std::vector<std::string> seen;
    auto page = rt.list({.tasks = {"echo"}, .limit = 10});
    for (;;) {
        for (const auto& r : page.runs) seen.push_back(r.id);
        if (page.next_cursor.empty()) break;
        page = rt.list({.tasks = {"echo"}, .limit = 10, .cursor = page.next_cursor});
    }
    REQUIRE(seen.size() == 25);
    CHECK(seen.front() == ids.back());
    CHECK(seen.back() == ids.front());
    CHECK_THROWS_AS(rt.list({.cursor = "not a cursor"}), taskkit::options_error);
    auto again = rt.replay(ids[7]);
    CHECK(again.id() != ids[7]);
    CHECK(again.get() == 7);
    CHECK_THROWS_AS(rt.replay("run_nonexistent"), taskkit::state_error);
}

TEMPLATE_LIST_TEST_CASE("conformance: status events arrive in order for each run", "[conformance]",
                        conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int> flaky({.id = "flaky",
                              .retry = {.max_attempts = 2, .min_timeout = 1s, .randomize = false},
                              .run =
                                  [](const int&, taskkit::run_context& ctx) {
                                      if (ctx.attempt().number == 1) throw std::runtime_error("once");
                                  }},
                             reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    std::vector<std::pair<run_status, int>> events;
    auto sub = h.runtime().subscribe([&](const taskkit::status_event& e) { events.emplace_back(e.status, e.attempt); });
    auto run = h.runtime().trigger(flaky, 0, {.delay = 1min});
    run.wait();
    const std::vector<std::pair<run_status, int>> expected{
        {run_status::delayed, 0}, {run_status::queued, 0},    {run_status::executing, 1}, {run_status::retrying, 1},
        {run_status::queued, 0},  {run_status::executing, 2}, {run_status::completed, 2}};
    CHECK(events == expected);
}
