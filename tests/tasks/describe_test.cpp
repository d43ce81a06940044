// registry::describe: what each registered task declares, for tools (the HTTP API lists it);
// runtime::workers() and runtime::retry(id).
#include "support/taskkit_test.hpp"

using namespace std::chrono_literals;

TEST_CASE("registry::describe lists every task with its kind, queue, retry, machine and max_duration") {
    taskkit::registry reg;
    taskkit::task<int, int> resize({.id = "resize",
                                    .description = "Resizes an image",
                                    .retry = {.max_attempts = 5},
                                    .queue = {.name = "images", .concurrency_limit = 2},
                                    .machine = {.cpu = 2, .memory = 4},
                                    .max_duration = 30s,
                                    .run = [](const int& n) { return n; }},
                                   reg);
    taskkit::task<nlohmann::json> plain({.id = "plain", .run = [](const nlohmann::json&) {}}, reg);
    const auto all = reg.describe();
    REQUIRE(all.size() == 2);
    CHECK(all[0].id == "plain");  // sorted by id
    CHECK(all[1].id == "resize");
    const auto& d = all[1];
    CHECK(d.kind == "task");
    CHECK(d.description == "Resizes an image");
    CHECK(d.queue.name == "images");
    CHECK(d.queue.concurrency_limit == 2);
    CHECK(d.retry.max_attempts == 5);
    CHECK(d.machine_spec.cpu == 2);
    CHECK(d.machine_spec.memory == 4);
    REQUIRE(d.max_duration);
    CHECK(*d.max_duration == 30s);
    CHECK(d.payload_schema.is_null());
    CHECK(all[0].queue.name == "plain");  // a task's own queue is named after it
    CHECK(reg.describe("resize")->queue.name == "images");
    CHECK_FALSE(reg.describe("nowhere"));
}

TEST_CASE("runtime::workers is the worker count it was created with, and retry(id) queues a failed run again") {
    taskkit::registry reg;
    std::atomic<int> calls{0};
    taskkit::task<int> flaky({.id = "flaky",
                              .retry = {.max_attempts = 1},
                              .run =
                                  [&](const int&) {
                                      if (++calls == 1) throw std::runtime_error("first attempt fails");
                                  }},
                             reg);
    taskkit::runtime rt(taskkit_test::options(reg, 3));
    CHECK(rt.workers() == 3);
    auto h = rt.trigger(flaky, 1);
    REQUIRE(h.wait_for(taskkit_test::deadline));
    CHECK(h.status() == taskkit::run_status::failed);
    rt.retry(h.id());
    REQUIRE(taskkit_test::eventually([&] { return h.status() == taskkit::run_status::completed; }));
    CHECK(calls.load() == 2);
    CHECK_THROWS_AS(rt.retry(h.id()), taskkit::state_error);  // completed: nothing to retry
    CHECK_THROWS_AS(rt.retry("run_unknown"), taskkit::state_error);
}
