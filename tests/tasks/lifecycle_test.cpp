// Cancel, max_duration, delay, ttl, retry(), replay(), shutdown.
#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;

TEST_CASE("a canceled queued run never starts") {
    taskkit::registry reg;
    gate release;
    gate started;
    std::atomic<int> second_ran{0};
    taskkit::task<int> t({.id = "one-slot",
                          .queue = {.concurrency_limit = 1},
                          .run =
                              [&](const int& n) {
                                  if (n == 0) {
                                      started.open();
                                      release.wait();
                                  } else {
                                      ++second_ran;
                                  }
                              }},
                         reg);
    taskkit::runtime rt(options(reg));
    auto first = rt.trigger(t, 0);
    REQUIRE(started.wait());
    auto second = rt.trigger(t, 1);
    CHECK(second.status() == taskkit::run_status::queued);
    CHECK(second.cancel());
    CHECK(second.status() == taskkit::run_status::canceled);
    release.open();
    REQUIRE(first.wait_for(deadline));
    auto third = rt.trigger(t, 2);  // proves the queue moved past the canceled run
    REQUIRE(third.wait_for(deadline));
    CHECK(second_ran == 1);  // only the third
    CHECK(second.snapshot().attempts.empty());
    CHECK_THROWS_AS(second.get(), taskkit::canceled_error);
}

TEST_CASE("canceling an executing run requests its stop token, it ends canceled") {
    taskkit::registry reg;
    gate started;
    taskkit::task<json, int> t({.id = "cooperative",
                                .run =
                                    [&](const json&, taskkit::run_context& ctx) {
                                        started.open();
                                        wait_for_stop(ctx);
                                        return ctx.stop_requested() ? 1 : 0;
                                    }},
                               reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(t, json::object());
    REQUIRE(started.wait());
    CHECK(h.status() == taskkit::run_status::executing);
    CHECK(rt.cancel(h.id()));
    REQUIRE(h.wait_for(deadline));
    CHECK(h.status() == taskkit::run_status::canceled);  // even though the function returned normally
    CHECK(h.result().error().code == taskkit::error_code::run_canceled);
    CHECK(h.snapshot().output.is_null());
}

TEST_CASE("max_duration: the stop token is requested and the run ends timed_out, not retried") {
    taskkit::registry reg;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    std::atomic<int> attempts{0};
    gate started;
    event_log hooks;
    taskkit::task<json> slow(
        {.id = "slow",
         .retry = {.max_attempts = 5},
         .max_duration = std::chrono::seconds(10),
         .run =
             [&](const json&, taskkit::run_context& ctx) {
                 ++attempts;
                 started.open();
                 wait_for_stop(ctx);
             },
         .on_failure = [&](const json&, const taskkit::error_info& e,
                           taskkit::run_context&) { hooks.add(std::string(taskkit::to_string(*e.code))); }},
        reg);
    taskkit::runtime rt(options(reg, 2, clock));
    auto h = rt.trigger(slow, json::object());
    REQUIRE(started.wait());
    clock->advance(std::chrono::seconds(9));
    CHECK_FALSE(h.wait_for(std::chrono::milliseconds(20)));
    clock->advance(std::chrono::seconds(1));
    REQUIRE(h.wait_for(deadline));
    CHECK(h.status() == taskkit::run_status::timed_out);
    CHECK(attempts == 1);
    CHECK_THROWS_AS(h.get(), taskkit::timed_out_error);
    CHECK(hooks.get() == std::vector<std::string>{"run_timed_out"});
}

TEST_CASE("a max_duration trigger option overrides the task's") {
    taskkit::registry reg;
    gate started;
    taskkit::task<json> t({.id = "long",
                           .run =
                               [&](const json&, taskkit::run_context& ctx) {
                                   started.open();
                                   wait_for_stop(ctx);
                               }},
                          reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(t, json::object(), {.max_duration = std::chrono::milliseconds(5)});
    REQUIRE(h.wait_for(deadline));  // real time: 5 ms
    CHECK(h.status() == taskkit::run_status::timed_out);
}

TEST_CASE("a delayed run waits for its time on the virtual clock") {
    taskkit::registry reg;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::task<json> t({.id = "delayed", .run = [](const json&) {}}, reg);
    taskkit::runtime rt(options(reg, 2, clock));
    auto h = rt.trigger(t, json::object(), {.delay = std::chrono::minutes(5)});
    CHECK(h.status() == taskkit::run_status::delayed);
    CHECK(h.snapshot().run_at == clock->now() + std::chrono::minutes(5));
    clock->advance(std::chrono::minutes(4));
    CHECK_FALSE(h.wait_for(std::chrono::milliseconds(20)));
    CHECK(h.status() == taskkit::run_status::delayed);
    clock->advance(std::chrono::minutes(1));
    REQUIRE(h.wait_for(deadline));
    CHECK(h.status() == taskkit::run_status::completed);
    CHECK(*h.snapshot().started_at - h.snapshot().created_at == std::chrono::minutes(5));
}

TEST_CASE("a delayed run can be canceled") {
    taskkit::registry reg;
    std::atomic<int> ran{0};
    taskkit::task<json> t({.id = "delayed-cancel", .run = [&](const json&) { ++ran; }}, reg);
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::runtime rt(options(reg, 2, clock));
    auto h = rt.trigger(t, json::object(), {.delay = std::chrono::seconds(30)});
    CHECK(h.cancel());
    clock->advance(std::chrono::minutes(1));
    auto after = rt.trigger(t, json::object());
    REQUIRE(after.wait_for(deadline));
    CHECK(ran == 1);
    CHECK(h.status() == taskkit::run_status::canceled);
}

TEST_CASE("ttl: a run not started in time ends expired") {
    taskkit::registry reg;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    gate release;
    gate started;
    taskkit::task<int> t({.id = "ttl",
                          .queue = {.concurrency_limit = 1},
                          .run =
                              [&](const int& n) {
                                  if (n == 0) {
                                      started.open();
                                      release.wait();
                                  }
                              }},
                         reg);
    taskkit::runtime rt(options(reg, 2, clock));
    auto blocker = rt.trigger(t, 0);
    REQUIRE(started.wait());
    auto h = rt.trigger(t, 1, {.ttl = std::chrono::seconds(10)});
    clock->advance(std::chrono::seconds(10));
    REQUIRE(h.wait_for(deadline));
    CHECK(h.status() == taskkit::run_status::expired);
    CHECK_THROWS_AS(h.get(), taskkit::expired_error);
    release.open();
    REQUIRE(blocker.wait_for(deadline));
    CHECK(h.snapshot().attempts.empty());
    // A run that starts in time is not expired later.
    auto quick = rt.trigger(t, 2, {.ttl = std::chrono::seconds(10)});
    REQUIRE(quick.wait_for(deadline));
    clock->advance(std::chrono::seconds(20));
    CHECK(quick.status() == taskkit::run_status::completed);
}

TEST_CASE("retry() queues a failed run again with its id and a fresh attempt budget") {
    taskkit::registry reg;
    std::atomic<bool> healthy{false};
    taskkit::task<json, int> t(
        {.id = "retry-me",
         .retry = {.max_attempts = 2, .min_timeout = std::chrono::milliseconds(1), .randomize = false},
         .run =
             [&](const json&, taskkit::run_context& ctx) {
                 if (!healthy) throw std::runtime_error("down");
                 return ctx.attempt().number;
             }},
        reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(t, json{{"k", 1}});
    REQUIRE(h.wait_for(deadline));
    CHECK(h.status() == taskkit::run_status::failed);
    CHECK(h.snapshot().attempts.size() == 2);
    healthy = true;
    const std::string id = h.id();
    h.retry();
    REQUIRE(h.wait_for(deadline));
    CHECK(h.status() == taskkit::run_status::completed);
    CHECK(h.id() == id);
    CHECK(h.get() == 3);  // attempt numbers keep counting
    CHECK(h.snapshot().attempts.size() == 3);
    CHECK(h.snapshot().payload == json{{"k", 1}});
    CHECK_THROWS_AS(h.retry(), taskkit::state_error);  // completed runs cannot be retried
}

TEST_CASE("retry() gives a fresh budget: a second failure retries again") {
    taskkit::registry reg;
    std::atomic<int> calls{0};
    taskkit::task<json> t(
        {.id = "budget",
         .retry = {.max_attempts = 2, .min_timeout = std::chrono::milliseconds(1), .randomize = false},
         .run =
             [&](const json&) {
                 ++calls;
                 throw std::runtime_error("x");
             }},
        reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(t, json::object());
    REQUIRE(h.wait_for(deadline));
    h.retry();
    REQUIRE(h.wait_for(deadline));
    CHECK(calls == 4);
    CHECK(h.status() == taskkit::run_status::failed);
}

TEST_CASE("replay() starts a new run with the same payload") {
    taskkit::registry reg;
    taskkit::task<int, int> t({.id = "replayed", .run = [](const int& n) { return n + 1; }}, reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(t, 41, {.tags = {"x"}});
    CHECK(h.get() == 42);
    auto again = h.replay();
    CHECK(again.id() != h.id());
    CHECK(again.get() == 42);
    CHECK(again.snapshot().tags == std::vector<std::string>{"x"});
}

TEST_CASE("shutdown finishes executing runs and cancels the rest") {
    taskkit::registry reg;
    gate started;
    gate release;
    std::atomic<int> finished{0};
    taskkit::task<int> t({.id = "shutdown",
                          .queue = {.concurrency_limit = 1},
                          .run =
                              [&](const int& n) {
                                  if (n == 0) {
                                      started.open();
                                      release.wait();
                                  }
                                  ++finished;
                              }},
                         reg);
    auto clock = std::make_shared<taskkit::virtual_clock>();
    std::optional<taskkit::runtime> rt(std::in_place, options(reg, 2, clock));
    auto executing = rt->trigger(t, 0);
    REQUIRE(started.wait());
    auto queued = rt->trigger(t, 1);
    auto delayed = rt->trigger(t, 2, {.delay = std::chrono::hours(1)});
    std::thread releaser([&] {
        REQUIRE(eventually([&] { return queued.status() == taskkit::run_status::canceled; }));
        release.open();
    });
    rt.reset();  // the destructor
    releaser.join();
    CHECK(executing.status() == taskkit::run_status::completed);
    CHECK(queued.status() == taskkit::run_status::canceled);
    CHECK(delayed.status() == taskkit::run_status::canceled);
    CHECK(finished == 1);
    // Handles outlive the runtime.
    CHECK_THROWS_AS(executing.replay(), taskkit::runtime_stopped_error);
    CHECK(executing.snapshot().status == taskkit::run_status::completed);
}

TEST_CASE("a trigger after shutdown is refused") {
    taskkit::registry reg;
    taskkit::task<int> t({.id = "after", .run = [](const int&) {}}, reg);
    taskkit::runtime rt(options(reg));
    rt.shutdown();
    CHECK_THROWS_AS(rt.trigger(t, 1), taskkit::runtime_stopped_error);
}
