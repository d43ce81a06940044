// Trigger.dev v4's hooks: on_start_attempt beside on_start, on_wait and on_resume around each
// wait (duration, child run, batch), on_cancel before the stop is requested.
#include <taskkit/testing.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;
using strings = std::vector<std::string>;

namespace {
std::string describe(const taskkit::wait_info& w) {
    std::string out(taskkit::to_string(w.kind));
    if (w.kind == taskkit::wait_kind::batch)
        out += ":" + std::to_string(w.run_ids.size()) + (w.batch_id.empty() ? "" : "+id");
    if (w.kind == taskkit::wait_kind::run) out += ":" + std::to_string(w.run_ids.size());
    if (w.kind == taskkit::wait_kind::duration && w.until) out += ":until";
    return out;
}
}  // namespace

TEST_CASE("on_start_attempt runs on every attempt, after on_start, which runs on the first only") {
    taskkit::registry reg;
    event_log log;
    auto note = [&log](std::string what) {
        return [&log, what](const json&, taskkit::run_context& ctx) {
            log.add(what + "#" + std::to_string(ctx.attempt().number));
        };
    };
    taskkit::task<json, int> t({.id = "start-attempt",
                                .retry = {.max_attempts = 3, .randomize = false},
                                .run =
                                    [&log](const json&, taskkit::run_context& ctx) {
                                        log.add("run#" + std::to_string(ctx.attempt().number));
                                        if (ctx.attempt().number < 2) throw std::runtime_error("boom");
                                        return 7;
                                    },
                                .init = note("init"),
                                .on_start = note("on_start"),
                                .on_start_attempt = note("on_start_attempt")},
                               reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::completed);
    CHECK(log.get() ==
          strings{"init#1", "on_start#1", "on_start_attempt#1", "run#1", "init#2", "on_start_attempt#2", "run#2"});
}

TEST_CASE("an on_start_attempt that throws fails the attempt") {
    taskkit::registry reg;
    int runs = 0;
    taskkit::task<json> t({.id = "start-attempt-throws",
                           .retry = {.max_attempts = 2, .randomize = false},
                           .run = [&](const json&) { ++runs; },
                           .on_start_attempt =
                               [](const json&, taskkit::run_context& ctx) {
                                   if (ctx.attempt().number == 1) throw std::runtime_error("not yet");
                               }},
                          reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::completed);
    CHECK(run.record.attempts.size() == 2);
    CHECK(runs == 1);
}

TEST_CASE("on_wait and on_resume surround a duration wait, a child wait and a batch wait") {
    taskkit::registry reg;
    event_log log;
    taskkit::task<int, int> child({.id = "child", .run = [](const int& n) { return n * 2; }}, reg);
    taskkit::task<json, int> parent({.id = "waiting-parent",
                                     .run =
                                         [&](const json&, taskkit::run_context& ctx) {
                                             log.add("run");
                                             ctx.wait_for(std::chrono::minutes(5));
                                             log.add("slept");
                                             const int one = child.trigger_and_wait(1).unwrap();
                                             log.add("child done");
                                             auto batch = child.batch_trigger_and_wait({2, 3});
                                             log.add("batch done");
                                             return one + batch.results[0].unwrap() + batch.results[1].unwrap();
                                         },
                                     .on_wait = [&](const json&, const taskkit::wait_info& w,
                                                    taskkit::run_context&) { log.add("on_wait " + describe(w)); },
                                     .on_resume = [&](const json&, const taskkit::wait_info& w,
                                                      taskkit::run_context&) { log.add("on_resume " + describe(w)); }},
                                    reg);
    taskkit::testing::harness h({.registry = &reg});
    auto handle = h.runtime().trigger(parent, json::object());
    const auto record = h.finish(handle);
    CHECK(record.status == taskkit::run_status::completed);
    CHECK(handle.get() == 2 + 4 + 6);
    CHECK(log.get() == strings{"run", "on_wait duration:until", "on_resume duration:until", "slept", "on_wait run:1",
                               "on_resume run:1", "child done", "on_wait batch:2+id", "on_resume batch:2+id",
                               "batch done"});
}

TEST_CASE("the wait_info of a duration wait says until when") {
    taskkit::registry reg;
    std::optional<taskkit::wait_info> seen;
    taskkit::time_point started;
    taskkit::task<json> t(
        {.id = "sleeper",
         .run =
             [&](const json&, taskkit::run_context& ctx) {
                 started = ctx.now();
                 ctx.wait_for(std::chrono::hours(2));
             },
         .on_resume = [&](const json&, const taskkit::wait_info& w, taskkit::run_context&) { seen = w; }},
        reg);
    taskkit::testing::harness h({.registry = &reg});
    auto handle = h.runtime().trigger(t, json::object());
    h.finish(handle);
    REQUIRE(seen);
    CHECK(seen->kind == taskkit::wait_kind::duration);
    REQUIRE(seen->until);
    CHECK(*seen->until == started + std::chrono::hours(2));
}

TEST_CASE("a wait that needs no waiting calls neither on_wait nor on_resume") {
    taskkit::registry reg;
    int calls = 0;
    taskkit::task<json> t(
        {.id = "no-wait",
         .run = [](const json&, taskkit::run_context& ctx) { ctx.wait_for(std::chrono::seconds(0)); },
         .on_wait = [&](const json&, const taskkit::wait_info&, taskkit::run_context&) { ++calls; },
         .on_resume = [&](const json&, const taskkit::wait_info&, taskkit::run_context&) { ++calls; }},
        reg);
    taskkit::testing::harness h({.registry = &reg});
    h.finish(h.runtime().trigger(t, json::object()));
    CHECK(calls == 0);
}

TEST_CASE("on_wait and on_resume that throw are recorded as hook errors and change nothing") {
    taskkit::registry reg;
    taskkit::task<json, int> t({.id = "wait-hooks-throw",
                                .run =
                                    [](const json&, taskkit::run_context& ctx) {
                                        ctx.wait_for(std::chrono::seconds(1));
                                        return 1;
                                    },
                                .on_wait = [](const json&, const taskkit::wait_info&,
                                              taskkit::run_context&) { throw std::runtime_error("w"); },
                                .on_resume = [](const json&, const taskkit::wait_info&,
                                                taskkit::run_context&) { throw std::runtime_error("r"); }},
                               reg);
    taskkit::testing::harness h({.registry = &reg});
    auto handle = h.runtime().trigger(t, json::object());
    const auto record = h.finish(handle);
    CHECK(record.status == taskkit::run_status::completed);
    REQUIRE(record.hook_errors.size() == 2);
    CHECK(record.hook_errors[0].message == "on_wait threw: w");
    CHECK(record.hook_errors[1].message == "on_resume threw: r");
}

TEST_CASE("on_resume runs when a wait ends because the run is canceled") {
    taskkit::registry reg;
    event_log log;
    gate waiting;
    taskkit::task<json> t({.id = "cancel-in-wait",
                           .run =
                               [&](const json&, taskkit::run_context& ctx) {
                                   const bool slept = ctx.wait_for(std::chrono::hours(1));
                                   log.add(slept ? "slept" : "woken");
                               },
                           .on_wait =
                               [&](const json&, const taskkit::wait_info&, taskkit::run_context&) {
                                   log.add("on_wait");
                                   waiting.open();
                               },
                           .on_resume =
                               [&](const json&, const taskkit::wait_info&, taskkit::run_context& ctx) {
                                   log.add(std::string("on_resume stop=") + (ctx.stop_requested() ? "yes" : "no"));
                               },
                           .on_cancel = [&](const json&, taskkit::run_context&) { log.add("on_cancel"); }},
                          reg);
    taskkit::runtime rt(options(reg));
    auto handle = rt.trigger(t, json::object());
    REQUIRE(waiting.wait());
    CHECK(handle.cancel());
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.status() == taskkit::run_status::canceled);
    CHECK(log.get() == strings{"on_wait", "on_cancel", "on_resume stop=yes", "woken"});
}

TEST_CASE("on_cancel runs once, before the stop token is requested, on the canceling thread") {
    taskkit::registry reg;
    gate started;
    std::atomic<bool> stop_seen_in_hook{true};
    std::atomic<int> calls{0};
    std::thread::id hook_thread;
    std::atomic<bool> local_seen{false};
    static const taskkit::local<std::string> tag{"tag"};
    taskkit::task<json> t({.id = "on-cancel",
                           .run =
                               [&](const json&, taskkit::run_context& ctx) {
                                   ctx.locals().set(tag, std::string("mine"));
                                   started.open();
                                   wait_for_stop(ctx);
                               },
                           .on_cancel =
                               [&](const json&, taskkit::run_context& ctx) {
                                   ++calls;
                                   stop_seen_in_hook = ctx.stop_requested();
                                   hook_thread = std::this_thread::get_id();
                                   const auto* value = ctx.locals().find(tag);
                                   local_seen = value && *value == "mine";
                               }},
                          reg);
    taskkit::runtime rt(options(reg));
    auto handle = rt.trigger(t, json::object());
    REQUIRE(started.wait());
    CHECK(handle.cancel());
    CHECK(calls == 1);      // returned before cancel() did
    (void)handle.cancel();  // a second request calls no hook again
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.status() == taskkit::run_status::canceled);
    CHECK(calls == 1);
    CHECK_FALSE(stop_seen_in_hook.load());
    CHECK(hook_thread == std::this_thread::get_id());
    CHECK(local_seen.load());
}

TEST_CASE("an on_cancel that throws is recorded, and the run is still canceled") {
    taskkit::registry reg;
    gate started;
    taskkit::task<json> t({.id = "on-cancel-throws",
                           .run =
                               [&](const json&, taskkit::run_context& ctx) {
                                   started.open();
                                   wait_for_stop(ctx);
                               },
                           .on_cancel = [](const json&, taskkit::run_context&) { throw std::runtime_error("nope"); }},
                          reg);
    taskkit::runtime rt(options(reg));
    auto handle = rt.trigger(t, json::object());
    REQUIRE(started.wait());
    CHECK(handle.cancel());
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.status() == taskkit::run_status::canceled);
    const auto record = handle.snapshot();
    REQUIRE(record.hook_errors.size() == 1);
    CHECK(record.hook_errors[0].message == "on_cancel threw: nope");
}

TEST_CASE("on_cancel is not called for a run canceled before it executes") {
    taskkit::registry reg;
    int calls = 0;
    taskkit::task<json> t({.id = "queued-cancel",
                           .run = [](const json&) {},
                           .on_cancel = [&](const json&, taskkit::run_context&) { ++calls; }},
                          reg);
    taskkit::testing::harness h({.registry = &reg});
    auto handle = h.runtime().trigger(t, json::object());
    CHECK(handle.cancel());
    h.run_until_idle();
    CHECK(handle.status() == taskkit::run_status::canceled);
    CHECK(calls == 0);
}
