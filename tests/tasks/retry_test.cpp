// Retries: Trigger.dev's backoff formula exactly, what is never retried, and handle_error.
#include <taskkit/testing.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;
using std::chrono::milliseconds;

TEST_CASE("retry_delay reproduces calculateNextRetryDelay") {
    const taskkit::retry_options fixed{.max_attempts = 10,
                                       .factor = 1.8,
                                       .min_timeout = milliseconds(500),
                                       .max_timeout = std::chrono::seconds(30),
                                       .randomize = false};
    // 500 * 1.8^(n-1), rounded, capped at 30000: computed by hand.
    CHECK(taskkit::retry_delay(fixed, 1) == milliseconds(500));
    CHECK(taskkit::retry_delay(fixed, 2) == milliseconds(900));
    CHECK(taskkit::retry_delay(fixed, 3) == milliseconds(1620));
    CHECK(taskkit::retry_delay(fixed, 4) == milliseconds(2916));
    CHECK(taskkit::retry_delay(fixed, 5) == milliseconds(5249));   // 5248.8
    CHECK(taskkit::retry_delay(fixed, 6) == milliseconds(9448));   // 9447.84
    CHECK(taskkit::retry_delay(fixed, 7) == milliseconds(17006));  // 17006.112
    CHECK(taskkit::retry_delay(fixed, 8) == milliseconds(30000));  // 30611 capped
    CHECK(taskkit::retry_delay(fixed, 9) == milliseconds(30000));
    CHECK_FALSE(taskkit::retry_delay(fixed, 10).has_value());  // the 10th attempt was the last

    const taskkit::retry_options defaults;
    CHECK(defaults.max_attempts == 3);
    CHECK(defaults.factor == 2.0);
    CHECK(defaults.min_timeout == milliseconds(1000));
    CHECK(defaults.max_timeout == milliseconds(60000));
    CHECK(defaults.randomize);
    // randomize: r = 1 + random01 in [1, 2)
    CHECK(taskkit::retry_delay(defaults, 1, 0.0) == milliseconds(1000));
    CHECK(taskkit::retry_delay(defaults, 1, 0.5) == milliseconds(1500));
    CHECK(taskkit::retry_delay(defaults, 2, 0.25) == milliseconds(2500));
    CHECK_FALSE(taskkit::retry_delay(defaults, 3, 0.25).has_value());
}

TEST_CASE("a failing task is retried with exactly the formula's delays") {
    taskkit::registry reg;
    taskkit::task<json, int> flaky({.id = "flaky",
                                    .retry = {.max_attempts = 5,
                                              .factor = 1.8,
                                              .min_timeout = milliseconds(500),
                                              .max_timeout = std::chrono::seconds(30),
                                              .randomize = false},
                                    .run =
                                        [](const json&, taskkit::run_context& ctx) {
                                            if (ctx.attempt().number < 4) throw std::runtime_error("not yet");
                                            return ctx.attempt().number;
                                        }},
                                   reg);
    auto run = taskkit::testing::run_inline(flaky, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::completed);
    CHECK(run.outcome.output() == 4);
    REQUIRE(run.record.attempts.size() == 4);
    CHECK(run.retry_delays == std::vector<milliseconds>{milliseconds(500), milliseconds(900), milliseconds(1620)});
    for (int i = 0; i < 3; ++i) {
        REQUIRE(run.record.attempts[i].error.has_value());
        CHECK(run.record.attempts[i].error->message == "not yet");
    }
    CHECK_FALSE(run.record.attempts[3].error.has_value());
}

TEST_CASE("the injected random source sets randomized delays") {
    taskkit::registry reg;
    taskkit::task<json> always({.id = "always-fails", .run = [](const json&) { throw std::runtime_error("no"); }}, reg);
    double next = 0.0;
    auto run = taskkit::testing::run_inline(always, json::object(), {},
                                            {.random = [&] { return next += 0.25; }, .registry = &reg});
    CHECK(run.record.status == taskkit::run_status::failed);
    REQUIRE(run.record.attempts.size() == 3);  // the default max_attempts
    // 1000 * 1.25 and 1000 * 2 * 1.5
    CHECK(run.retry_delays == std::vector<milliseconds>{milliseconds(1250), milliseconds(3000)});
}

TEST_CASE("max_attempts from a trigger option overrides the task's") {
    taskkit::registry reg;
    taskkit::task<json> always({.id = "always",
                                .retry = {.max_attempts = 5, .randomize = false},
                                .run = [](const json&) { throw std::runtime_error("no"); }},
                               reg);
    auto run = taskkit::testing::run_inline(always, json::object(), {.max_attempts = 2}, {.registry = &reg});
    CHECK(run.record.attempts.size() == 2);
}

TEST_CASE("abort_run, payload errors and timeouts are never retried") {
    taskkit::registry reg;
    std::atomic<int> calls{0};
    taskkit::task<json> aborts({.id = "aborts",
                                .retry = {.max_attempts = 5},
                                .run =
                                    [&](const json&) {
                                        ++calls;
                                        throw taskkit::abort_run("the account is gone");
                                    }},
                               reg);
    auto run = taskkit::testing::run_inline(aborts, json::object(), {}, {.registry = &reg});
    CHECK(calls == 1);
    CHECK(run.record.status == taskkit::run_status::failed);
    CHECK(run.outcome.error().code == taskkit::error_code::aborted);
    CHECK_THROWS_AS(run.outcome.unwrap(), taskkit::abort_run);

    taskkit::task<json> bad_payload({.id = "bad-payload",
                                     .retry = {.max_attempts = 5},
                                     .run =
                                         [&](const json& p) {
                                             ++calls;
                                             throw taskkit::payload_error("field 'x' is missing: " + p.dump());
                                         }},
                                    reg);
    calls = 0;
    auto run2 = taskkit::testing::run_inline(bad_payload, json::object(), {}, {.registry = &reg});
    CHECK(calls == 1);
    CHECK(run2.record.status == taskkit::run_status::failed);
}

TEST_CASE("handle_error can skip retrying, change the delay, or replace the error") {
    taskkit::registry reg;
    SECTION("skip") {
        taskkit::task<json> t({.id = "skip",
                               .retry = {.max_attempts = 5},
                               .run = [](const json&) { throw std::runtime_error("fatal"); },
                               .handle_error =
                                   [](const json&, const taskkit::error_info& e, taskkit::run_context&) {
                                       return taskkit::error_decision{.skip_retrying = e.message == "fatal"};
                                   }},
                              reg);
        auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
        CHECK(run.record.attempts.size() == 1);
        CHECK(run.record.status == taskkit::run_status::failed);
    }
    SECTION("delay") {
        taskkit::task<json> t(
            {.id = "delay",
             .retry = {.max_attempts = 3},
             .run = [](const json&) { throw std::runtime_error("rate limited"); },
             .handle_error =
                 [](const json&, const taskkit::error_info&, taskkit::run_context& ctx) {
                     return taskkit::error_decision{.retry_delay = std::chrono::seconds(ctx.attempt().number * 60)};
                 }},
            reg);
        auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
        CHECK(run.retry_delays == std::vector<milliseconds>{milliseconds(60000), milliseconds(120000)});
    }
    SECTION("retry_at") {
        taskkit::task<json> t(
            {.id = "retry-at",
             .retry = {.max_attempts = 2},
             .run = [](const json&) { throw std::runtime_error("later"); },
             .handle_error =
                 [](const json&, const taskkit::error_info&, taskkit::run_context& ctx) {
                     return taskkit::error_decision{.retry_at = ctx.attempt().started_at + std::chrono::hours(1)};
                 }},
            reg);
        auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
        REQUIRE(run.retry_delays.size() == 1);
        CHECK(run.retry_delays[0] == std::chrono::hours(1));
    }
    SECTION("replace the error") {
        taskkit::task<json> t({.id = "replace",
                               .retry = {.max_attempts = 1},
                               .run = [](const json&) { throw std::runtime_error("ECONNRESET"); },
                               .handle_error =
                                   [](const json&, const taskkit::error_info&, taskkit::run_context&) {
                                       return taskkit::error_decision{.error = "the payment provider is down"};
                                   }},
                              reg);
        auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
        CHECK(run.record.error->message == "the payment provider is down");
    }
    SECTION("cannot retry past max_attempts") {
        std::atomic<int> calls{0};
        taskkit::task<json> t({.id = "no-extra",
                               .retry = {.max_attempts = 2},
                               .run =
                                   [&](const json&) {
                                       ++calls;
                                       throw std::runtime_error("x");
                                   },
                               .handle_error =
                                   [](const json&, const taskkit::error_info&, taskkit::run_context&) {
                                       return taskkit::error_decision{.retry_delay = milliseconds(1)};
                                   }},
                              reg);
        auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
        CHECK(calls == 2);
    }
}

TEST_CASE("retries on a threaded runtime follow the virtual clock") {
    taskkit::registry reg;
    std::atomic<int> attempts{0};
    taskkit::task<json> flaky({.id = "vclock-flaky",
                               .retry = {.max_attempts = 3, .randomize = false},
                               .run =
                                   [&](const json&) {
                                       if (++attempts < 3) throw std::runtime_error("again");
                                   }},
                              reg);
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::runtime rt(options(reg, 2, clock));
    auto h = rt.trigger(flaky, json::object());
    REQUIRE(eventually([&] { return h.status() == taskkit::run_status::retrying; }));
    CHECK(attempts == 1);
    clock->advance(milliseconds(999));
    CHECK_FALSE(h.wait_for(milliseconds(20)));  // not due yet: nothing runs
    CHECK(attempts == 1);
    clock->advance(milliseconds(1));
    REQUIRE(eventually([&] { return attempts == 2 && h.status() == taskkit::run_status::retrying; }));
    clock->advance(milliseconds(2000));
    REQUIRE(h.wait_for(deadline));
    CHECK(h.status() == taskkit::run_status::completed);
    const auto record = h.snapshot();
    REQUIRE(record.attempts.size() == 3);
    CHECK(record.attempts[1].started_at - record.attempts[0].started_at == milliseconds(1000));
    CHECK(record.attempts[2].started_at - record.attempts[1].started_at == milliseconds(2000));
}
