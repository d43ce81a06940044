// Lifecycle hooks: the order of semantics.md, terminal hooks on cancel and timeout, hook errors.
#include <taskkit/testing.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;
using strings = std::vector<std::string>;

namespace {
/// A task whose every hook appends "<hook>#<attempt>" to `log`; the run fails while the attempt
/// number is below `succeed_on`.
taskkit::task_options<json, int> recording(std::string id, event_log& log, int succeed_on, int max_attempts = 3) {
    auto note = [&log](std::string what) {
        return [&log, what](const json&, taskkit::run_context& ctx) {
            log.add(what + "#" + std::to_string(ctx.attempt().number));
        };
    };
    return {.id = std::move(id),
            .retry = {.max_attempts = max_attempts, .randomize = false},
            .run =
                [&log, succeed_on](const json&, taskkit::run_context& ctx) {
                    log.add("run#" + std::to_string(ctx.attempt().number));
                    if (ctx.attempt().number < succeed_on) throw std::runtime_error("boom");
                    return ctx.attempt().number;
                },
            .init = note("init"),
            .cleanup = note("cleanup"),
            .middleware =
                [&log](const json&, taskkit::run_context& ctx, const std::function<void()>& next) {
                    log.add("middleware>#" + std::to_string(ctx.attempt().number));
                    next();
                    log.add("middleware<#" + std::to_string(ctx.attempt().number));
                },
            .on_start = note("on_start"),
            .on_success =
                [&log](const json&, const int& out, taskkit::run_context& ctx) {
                    log.add("on_success(" + std::to_string(out) + ")#" + std::to_string(ctx.attempt().number));
                },
            .on_failure =
                [&log](const json&, const taskkit::error_info& e, taskkit::run_context& ctx) {
                    log.add("on_failure(" + e.message + ")#" + std::to_string(ctx.attempt().number));
                },
            .on_complete =
                [&log](const json&, const taskkit::result<int>& r, taskkit::run_context& ctx) {
                    log.add(std::string("on_complete(") + std::string(taskkit::to_string(r.status())) + ")#" +
                            std::to_string(ctx.attempt().number));
                },
            .handle_error =
                [&log](const json&, const taskkit::error_info&, taskkit::run_context& ctx) {
                    log.add("handle_error#" + std::to_string(ctx.attempt().number));
                    return taskkit::error_decision{};
                }};
}
}  // namespace

TEST_CASE("hooks of a run that succeeds at once") {
    taskkit::registry reg;
    event_log log;
    taskkit::task<json, int> t(recording("ok-at-once", log, 1), reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::completed);
    CHECK(log.get() == strings{"middleware>#1", "init#1", "on_start#1", "run#1", "middleware<#1", "on_success(1)#1",
                               "on_complete(completed)#1", "cleanup#1"});
}

TEST_CASE("hooks of a run that fails once, then succeeds") {
    taskkit::registry reg;
    event_log log;
    taskkit::task<json, int> t(recording("fails-once", log, 2), reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::completed);
    CHECK(log.get() == strings{// attempt 1: fails; handle_error decides to retry; no on_failure; cleanup
                               "middleware>#1", "init#1", "on_start#1", "run#1", "handle_error#1", "cleanup#1",
                               // attempt 2: on_start only ran on the first attempt
                               "middleware>#2", "init#2", "run#2", "middleware<#2", "on_success(2)#2",
                               "on_complete(completed)#2", "cleanup#2"});
}

TEST_CASE("hooks of a run that fails every attempt") {
    taskkit::registry reg;
    event_log log;
    taskkit::task<json, int> t(recording("fails-always", log, 99, 2), reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::failed);
    CHECK(log.get() == strings{"middleware>#1", "init#1", "on_start#1", "run#1", "handle_error#1", "cleanup#1",
                               "middleware>#2", "init#2", "run#2", "handle_error#2", "on_failure(boom)#2",
                               "on_complete(failed)#2", "cleanup#2"});
}

TEST_CASE("a hook that throws is recorded and never escapes into the worker") {
    taskkit::registry reg;
    taskkit::task<json, int> t(
        {.id = "bad-hooks",
         .run = [](const json&) { return 7; },
         .on_success = [](const json&, const int&,
                          taskkit::run_context&) { throw std::runtime_error("mail server down"); },
         .on_complete = [](const json&, const taskkit::result<int>&, taskkit::run_context&) { throw 3; }},
        reg);
    taskkit::runtime rt(options(reg, 1));
    auto h = rt.trigger(t, json::object());
    CHECK(h.get() == 7);  // the run itself completed
    const auto record = h.snapshot();
    CHECK(record.status == taskkit::run_status::completed);
    REQUIRE(record.hook_errors.size() == 2);
    CHECK(record.hook_errors[0].message == "on_success threw: mail server down");
    CHECK(record.hook_errors[1].message.rfind("on_complete threw:", 0) == 0);
    // and they are logged
    REQUIRE(record.logs.size() == 2);
    CHECK(record.logs[0].level == taskkit::log_level::error);
    // The worker is fine: the runtime keeps working.
    CHECK(rt.trigger(t, json::object()).get() == 7);
}

TEST_CASE("an init that throws fails the attempt, and cleanup still runs") {
    taskkit::registry reg;
    event_log log;
    taskkit::task<json> t({.id = "bad-init",
                           .retry = {.max_attempts = 1},
                           .run = [&](const json&) { log.add("run"); },
                           .init = [](const json&, taskkit::run_context&) { throw std::runtime_error("no database"); },
                           .cleanup = [&](const json&, taskkit::run_context&) { log.add("cleanup"); }},
                          reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::failed);
    CHECK(run.record.error->message == "no database");
    CHECK(log.get() == strings{"cleanup"});
}

TEST_CASE("middleware that never calls next() fails the attempt clearly") {
    taskkit::registry reg;
    taskkit::task<json> t({.id = "lazy-middleware",
                           .retry = {.max_attempts = 1},
                           .run = [](const json&) {},
                           .middleware = [](const json&, taskkit::run_context&, const std::function<void()>&) {}},
                          reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::failed);
    CHECK(run.record.error->message == "middleware returned without calling next()");
    CHECK(run.record.attempts.size() == 1);  // a programming error: never retried
}

TEST_CASE("on_failure and on_complete run when an executing run is canceled") {
    taskkit::registry reg;
    event_log log;
    gate started;
    taskkit::task<json> t({.id = "cancel-hooks",
                           .run =
                               [&](const json&, taskkit::run_context& ctx) {
                                   started.open();
                                   wait_for_stop(ctx);  // cooperative: wait for the stop token
                               },
                           .cleanup = [&](const json&, taskkit::run_context&) { log.add("cleanup"); },
                           .on_failure =
                               [&](const json&, const taskkit::error_info& e, taskkit::run_context&) {
                                   log.add("on_failure:" + std::string(taskkit::to_string(*e.code)));
                               },
                           .on_complete =
                               [&](const json&, const taskkit::result<void>& r, taskkit::run_context&) {
                                   log.add("on_complete:" + std::string(taskkit::to_string(r.status())));
                               }},
                          reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(t, json::object());
    REQUIRE(started.wait());
    CHECK(h.cancel());
    REQUIRE(h.wait_for(deadline));
    CHECK(h.status() == taskkit::run_status::canceled);
    CHECK(log.get() == strings{"on_failure:run_canceled", "on_complete:canceled", "cleanup"});
    CHECK_THROWS_AS(h.get(), taskkit::canceled_error);
    CHECK_FALSE(h.cancel());  // already ended
}

TEST_CASE("on_failure runs when a run waiting to retry is canceled") {
    taskkit::registry reg;
    event_log log;
    taskkit::task<json> t(
        {.id = "cancel-while-retrying",
         .retry = {.max_attempts = 3, .min_timeout = std::chrono::hours(1), .max_timeout = std::chrono::hours(1)},
         .run = [](const json&) { throw std::runtime_error("down"); },
         .on_failure = [&](const json&, const taskkit::error_info& e,
                           taskkit::run_context&) { log.add("on_failure:" + e.message); }},
        reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(t, json::object());
    REQUIRE(eventually([&] { return h.status() == taskkit::run_status::retrying; }));
    CHECK(h.cancel());
    CHECK(h.status() == taskkit::run_status::canceled);
    REQUIRE(eventually([&] { return log.get().size() == 1; }));
    CHECK(log.get() == strings{"on_failure:the run was canceled"});
    CHECK(h.snapshot().attempts.size() == 1);
}
