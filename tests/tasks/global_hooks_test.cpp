// Global hooks (registry::hooks()): run for every task of the registry, global before the task's
// own for the hooks that begin something, after it for those that end something.
#include <taskkit/testing.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;
using strings = std::vector<std::string>;

namespace {
/// Registers a global hook of every kind that appends "g<n>:<hook>" to `log`.
std::vector<taskkit::hook_registration> record_globals(taskkit::registry& reg, event_log& log, const std::string& n) {
    std::vector<taskkit::hook_registration> out;
    auto note = [&log, n](std::string what) {
        return [&log, n, what](const taskkit::hook_context&) { log.add("g" + n + ":" + what); };
    };
    auto& g = reg.hooks();
    out.push_back(g.middleware([&log, n](const taskkit::hook_context&, const std::function<void()>& next) {
        log.add("g" + n + ":middleware>");
        next();
        log.add("g" + n + ":middleware<");
    }));
    out.push_back(g.init(note("init")));
    out.push_back(g.on_start(note("on_start")));
    out.push_back(g.on_start_attempt(note("on_start_attempt")));
    out.push_back(g.on_success(note("on_success")));
    out.push_back(g.on_failure(note("on_failure")));
    out.push_back(g.on_complete(note("on_complete")));
    out.push_back(g.cleanup(note("cleanup")));
    return out;
}

taskkit::task_options<json, int> recording(std::string id, event_log& log, int succeed_on) {
    auto note = [&log](std::string what) {
        return [&log, what](const json&, taskkit::run_context&) { log.add(what); };
    };
    return {
        .id = std::move(id),
        .retry = {.max_attempts = 2, .randomize = false},
        .run =
            [&log, succeed_on](const json&, taskkit::run_context& ctx) {
                log.add("run");
                if (ctx.attempt().number < succeed_on) throw std::runtime_error("boom");
                return 5;
            },
        .init = note("init"),
        .cleanup = note("cleanup"),
        .middleware =
            [&log](const json&, taskkit::run_context&, const std::function<void()>& next) {
                log.add("middleware>");
                next();
                log.add("middleware<");
            },
        .on_start = note("on_start"),
        .on_start_attempt = note("on_start_attempt"),
        .on_success = [&log](const json&, const int&, taskkit::run_context&) { log.add("on_success"); },
        .on_failure = [&log](const json&, const taskkit::error_info&, taskkit::run_context&) { log.add("on_failure"); },
        .on_complete = [&log](const json&, const taskkit::result<int>&,
                              taskkit::run_context&) { log.add("on_complete"); }};
}
}  // namespace

TEST_CASE("global hooks run around the task's own: before for start-like hooks, after for end-like ones") {
    taskkit::registry reg;
    event_log log;
    auto first = record_globals(reg, log, "1");
    auto second = record_globals(reg, log, "2");
    taskkit::task<json, int> t(recording("ordered", log, 1), reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::completed);
    CHECK(log.get() == strings{"g1:middleware>",
                               "g2:middleware>",
                               "middleware>",
                               "g1:init",
                               "g2:init",
                               "init",
                               "g1:on_start",
                               "g2:on_start",
                               "on_start",
                               "g1:on_start_attempt",
                               "g2:on_start_attempt",
                               "on_start_attempt",
                               "run",
                               "middleware<",
                               "g2:middleware<",
                               "g1:middleware<",
                               "on_success",
                               "g1:on_success",
                               "g2:on_success",
                               "on_complete",
                               "g1:on_complete",
                               "g2:on_complete",
                               "cleanup",
                               "g1:cleanup",
                               "g2:cleanup"});
}

TEST_CASE("global hooks of a run that fails: on_failure and on_complete after the task's, on the last attempt") {
    taskkit::registry reg;
    event_log log;
    auto globals = record_globals(reg, log, "1");
    taskkit::task<json, int> t(recording("failing", log, 99), reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::failed);
    const auto events = log.get();
    // Attempt 2 (the last) ends: the exception passes through both middleware (no "after next"),
    // then each end hook runs the task's first, then the global one.
    REQUIRE(events.size() >= 8);
    const strings tail(events.end() - 8, events.end());
    CHECK(tail == strings{"on_start_attempt", "run", "on_failure", "g1:on_failure", "on_complete", "g1:on_complete",
                          "cleanup", "g1:cleanup"});
    // on_start ran on the first attempt only, for both.
    CHECK(std::count(events.begin(), events.end(), "g1:on_start") == 1);
    CHECK(std::count(events.begin(), events.end(), "g1:on_start_attempt") == 2);
}

TEST_CASE("a global hook sees the run through a hook_context: ids, payload, output and error as JSON") {
    taskkit::registry reg;
    std::string task_id;
    json payload;
    json output;
    std::string error;
    auto a = reg.hooks().on_success([&](const taskkit::hook_context& hc) {
        task_id = std::string(hc.task_id());
        payload = hc.payload();
        output = hc.output();
        CHECK(hc.status() == taskkit::run_status::completed);
        CHECK(hc.error() == nullptr);
    });
    auto b = reg.hooks().on_failure([&](const taskkit::hook_context& hc) {
        REQUIRE(hc.error());
        error = hc.error()->message;
        CHECK(hc.output().is_null());
    });
    taskkit::task<int, int> doubler({.id = "doubler", .run = [](const int& n) { return n * 2; }}, reg);
    taskkit::task<int> thrower({.id = "thrower", .run = [](const int&) { throw std::runtime_error("bad"); }}, reg);
    auto ok = taskkit::testing::run_inline(doubler, 21, {}, {.registry = &reg});
    CHECK(ok.record.status == taskkit::run_status::completed);
    CHECK(task_id == "doubler");
    CHECK(payload == json(21));
    CHECK(output == json(42));
    auto bad = taskkit::testing::run_inline(thrower, 1, {.max_attempts = 1}, {.registry = &reg});
    CHECK(bad.record.status == taskkit::run_status::failed);
    CHECK(error == "bad");
}

TEST_CASE("a global hook's registration removes it when destroyed or reset") {
    taskkit::registry reg;
    int calls = 0;
    taskkit::task<json> t({.id = "counted", .run = [](const json&) {}}, reg);
    {
        auto h = reg.hooks().on_start_attempt([&](const taskkit::hook_context&) { ++calls; });
        CHECK(h.active());
        (void)taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
        CHECK(calls == 1);
        auto moved = std::move(h);
        CHECK_FALSE(h.active());
        CHECK(moved.active());
        (void)taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
        CHECK(calls == 2);
        moved.reset();
        CHECK_FALSE(moved.active());
        (void)taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
        CHECK(calls == 2);
    }
    auto again = reg.hooks().on_start_attempt([&](const taskkit::hook_context&) { ++calls; });
    (void)taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(calls == 3);
}

TEST_CASE("a registration may outlive its registry") {
    taskkit::hook_registration kept;
    {
        taskkit::registry reg;
        kept = reg.hooks().on_start([](const taskkit::hook_context&) {});
        CHECK(kept.active());
    }
    CHECK_FALSE(kept.active());
    kept.reset();  // nothing to do
}

TEST_CASE("an empty global hook is refused") {
    taskkit::registry reg;
    CHECK_THROWS_AS(reg.hooks().on_start(nullptr), taskkit::options_error);
    CHECK_THROWS_AS(reg.hooks().middleware(nullptr), taskkit::options_error);
}

TEST_CASE("global hooks' exceptions: recorded for end-like hooks, failing the attempt for start-like ones") {
    taskkit::registry reg;
    auto a = reg.hooks().on_success([](const taskkit::hook_context&) { throw std::runtime_error("s"); });
    auto b = reg.hooks().on_start_attempt([](const taskkit::hook_context& hc) {
        if (hc.ctx().attempt().number == 1) throw std::runtime_error("first");
    });
    taskkit::task<json> t(
        {.id = "throwing-globals", .retry = {.max_attempts = 2, .randomize = false}, .run = [](const json&) {}}, reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::completed);
    REQUIRE(run.record.attempts.size() == 2);
    REQUIRE(run.record.attempts[0].error);
    CHECK(run.record.attempts[0].error->message == "first");
    REQUIRE(run.record.hook_errors.size() == 1);
    CHECK(run.record.hook_errors[0].message == "global on_success threw: s");
}

TEST_CASE("a global middleware that never calls next() fails the attempt, which is not retried") {
    taskkit::registry reg;
    int runs = 0;
    auto m = reg.hooks().middleware([](const taskkit::hook_context&, const std::function<void()>&) {});
    taskkit::task<json> t({.id = "no-next", .retry = {.max_attempts = 3}, .run = [&](const json&) { ++runs; }}, reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::failed);
    CHECK(runs == 0);
    CHECK(run.record.attempts.size() == 1);
}

TEST_CASE("global on_wait and on_resume: global first when the wait begins, last when it ends") {
    taskkit::registry reg;
    event_log log;
    auto w = reg.hooks().on_wait([&](const taskkit::hook_context& hc) {
        REQUIRE(hc.wait());
        log.add("g:on_wait " + std::string(taskkit::to_string(hc.wait()->kind)));
    });
    auto r = reg.hooks().on_resume([&](const taskkit::hook_context& hc) {
        REQUIRE(hc.wait());
        log.add("g:on_resume " + std::string(taskkit::to_string(hc.wait()->kind)));
    });
    taskkit::task<json> t(
        {.id = "sleeps",
         .run = [](const json&, taskkit::run_context& ctx) { ctx.wait_for(std::chrono::minutes(1)); },
         .on_wait = [&](const json&, const taskkit::wait_info&, taskkit::run_context&) { log.add("on_wait"); },
         .on_resume = [&](const json&, const taskkit::wait_info&, taskkit::run_context&) { log.add("on_resume"); }},
        reg);
    taskkit::testing::harness h({.registry = &reg});
    h.finish(h.runtime().trigger(t, json::object()));
    CHECK(log.get() == strings{"g:on_wait duration", "on_wait", "on_resume", "g:on_resume duration"});
}

TEST_CASE("a global on_cancel runs before the task's, while the run still executes") {
    taskkit::registry reg;
    event_log log;
    gate started;
    auto c = reg.hooks().on_cancel([&](const taskkit::hook_context& hc) {
        log.add(std::string("g:on_cancel ") + std::string(hc.task_id()) +
                (hc.ctx().stop_requested() ? " stopped" : ""));
    });
    taskkit::task<json> t({.id = "cancel-me",
                           .run =
                               [&](const json&, taskkit::run_context& ctx) {
                                   started.open();
                                   wait_for_stop(ctx);
                               },
                           .on_cancel = [&](const json&, taskkit::run_context&) { log.add("on_cancel"); }},
                          reg);
    taskkit::runtime rt(options(reg));
    auto handle = rt.trigger(t, json::object());
    REQUIRE(started.wait());
    CHECK(handle.cancel());
    REQUIRE(handle.wait_for(deadline));
    CHECK(log.get() == strings{"g:on_cancel cancel-me", "on_cancel"});
}

TEST_CASE("global hooks registered and removed while runs execute on several workers") {
    taskkit::registry reg;
    std::atomic<int> calls{0};
    taskkit::task<int> t({.id = "busy", .run = [](const int&) {}}, reg);
    taskkit::runtime rt(options(reg, 4));
    std::vector<taskkit::run_handle<void>> handles;
    for (int i = 0; i < 200; ++i) {
        handles.push_back(rt.trigger(t, i));
        if (i % 20 == 0) {
            auto h = reg.hooks().on_success([&](const taskkit::hook_context&) { ++calls; });
            handles.push_back(rt.trigger(t, -i));
        }
    }
    for (auto& h : handles) REQUIRE(h.wait_for(deadline));
    auto kept = reg.hooks().on_success([&](const taskkit::hook_context&) { ++calls; });
    const int before = calls.load();
    REQUIRE(rt.trigger(t, 1).wait_for(deadline));
    CHECK(calls.load() == before + 1);
}
