// Triggering: typed, by id with JSON, bad input, trigger options, handles and records.
#include <algorithm>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;

namespace {
struct order {
    std::string item;
    int quantity = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(order, item, quantity)

struct receipt {
    std::string summary;
    int total = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(receipt, summary, total)
}  // namespace

TEST_CASE("a typed trigger runs the task and the handle returns its typed output") {
    taskkit::registry reg;
    taskkit::task<order, receipt> checkout(
        {.id = "checkout",
         .run =
             [](const order& o) {
                 return receipt{o.item + " x" + std::to_string(o.quantity), o.quantity * 3};
             }},
        reg);
    taskkit::runtime rt(options(reg));
    auto handle = rt.trigger(checkout, {.item = "tea", .quantity = 2});
    CHECK(handle.id().rfind("run_", 0) == 0);
    CHECK(handle.task_id() == "checkout");
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.status() == taskkit::run_status::completed);
    const receipt r = handle.get();
    CHECK(r.summary == "tea x2");
    CHECK(r.total == 6);
    auto outcome = handle.result();
    CHECK(outcome.ok());
    CHECK(outcome.output().total == 6);
    CHECK_THROWS_AS(outcome.error(), taskkit::state_error);

    const auto record = handle.snapshot();
    CHECK(record.task_id == "checkout");
    CHECK(record.status == taskkit::run_status::completed);
    CHECK(record.payload == json{{"item", "tea"}, {"quantity", 2}});
    CHECK(record.output == json{{"summary", "tea x2"}, {"total", 6}});
    REQUIRE(record.attempts.size() == 1);
    CHECK(record.attempts[0].number == 1);
    CHECK(record.attempts[0].finished_at.has_value());
    CHECK(record.started_at.has_value());
    CHECK(record.finished_at.has_value());
    CHECK(record.created_at <= *record.started_at);
    CHECK(*record.started_at <= *record.finished_at);
    CHECK(record.queue == "checkout");
}

TEST_CASE("by id with JSON: decodes the payload, and the handle reads the output as JSON") {
    taskkit::registry reg;
    taskkit::task<order, receipt> checkout({.id = "checkout",
                                            .run =
                                                [](const order& o) {
                                                    return receipt{o.item, o.quantity};
                                                }},
                                           reg);
    taskkit::runtime rt(options(reg));
    auto handle = rt.trigger("checkout", json{{"item", "cake"}, {"quantity", 4}});
    CHECK(handle.get() == json{{"summary", "cake"}, {"total", 4}});
    // The JSON handle can also be read back by id.
    auto again = rt.handle(handle.id());
    REQUIRE(again.has_value());
    CHECK(again->get()["total"] == 4);
}

TEST_CASE("bad input at trigger: a clear error at once, and no run is created") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::task<order> t({.id = "strict", .run = [&](const order&) { ++runs; }}, reg);
    auto opts = options(reg);
    taskkit::runtime rt(opts);

    SECTION("unknown task id") {
        try {
            (void)rt.trigger("no-such-task", json::object());
            FAIL("no exception");
        } catch (const taskkit::unknown_task_error& e) {
            CHECK(e.code() == taskkit::error_code::unknown_task);
            CHECK(std::string(e.what()).find("no-such-task") != std::string::npos);
        }
    }
    SECTION("wrong payload type") {
        REQUIRE_THROWS_AS(rt.trigger("strict", json{{"item", 5}, {"quantity", "x"}}), taskkit::payload_error);
    }
    SECTION("missing field") { REQUIRE_THROWS_AS(rt.trigger("strict", json{{"item", "tea"}}), taskkit::payload_error); }
    SECTION("not an object at all") {
        try {
            (void)rt.trigger("strict", json::parse("[1, 2]"));
            FAIL("no exception");
        } catch (const taskkit::payload_error& e) {
            CHECK(e.code() == taskkit::error_code::invalid_payload);
            CHECK(std::string(e.what()).find("'strict'") != std::string::npos);
        }
    }
    SECTION("bad trigger options") {
        CHECK_THROWS_AS(rt.trigger(t, order{"a", 1}, {.tags = std::vector<std::string>(11, "t")}),
                        taskkit::options_error);
        CHECK_THROWS_AS(rt.trigger(t, order{"a", 1}, {.tags = {""}}), taskkit::options_error);
        CHECK_THROWS_AS(rt.trigger(t, order{"a", 1}, {.tags = {std::string(129, 'x')}}), taskkit::options_error);
        CHECK_THROWS_AS(rt.trigger(t, order{"a", 1}, {.ttl = std::chrono::milliseconds(0)}), taskkit::options_error);
        CHECK_THROWS_AS(rt.trigger(t, order{"a", 1}, {.metadata = json::array()}), taskkit::options_error);
        CHECK_THROWS_AS(rt.trigger(t, order{"a", 1}, {.max_attempts = 0}), taskkit::options_error);
    }
    CHECK(held_runs(rt) == 0);
    CHECK(runs == 0);
    // The runtime still works afterwards.
    rt.trigger(t, order{"ok", 1}).get();
    CHECK(runs == 1);
}

TEST_CASE("a task whose machine exceeds the runtime's capacity fails at trigger") {
    taskkit::registry reg;
    taskkit::task<json> big({.id = "big", .machine = taskkit::machines::large_2x, .run = [](const json&) {}}, reg);
    auto opts = options(reg);
    opts.capacity = taskkit::machine{.cpu = 4, .memory = 8};
    taskkit::runtime rt(opts);
    try {
        (void)rt.trigger(big, json::object());
        FAIL("no exception");
    } catch (const taskkit::machine_error& e) {
        CHECK(e.code() == taskkit::error_code::machine_too_large);
        CHECK(std::string(e.what()).find("'big'") != std::string::npos);
    }
    // A trigger option can pick a machine that fits.
    rt.trigger(big, json::object(), {.machine = taskkit::machines::large_1x}).get();
}

TEST_CASE("tags, metadata and the trigger's machine are on the record") {
    taskkit::registry reg;
    worker_checks checks;
    taskkit::task<json> t(
        {.id = "tagged",
         .run =
             [&](const json&, taskkit::run_context& ctx) {
                 WORKER_CHECK(checks, std::ranges::equal(ctx.run().tags, std::vector<std::string>{"user_1", "org_2"}));
                 WORKER_CHECK(checks, ctx.machine() == taskkit::machines::micro);
             }},
        reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(
        t, json::object(),
        {.tags = {"user_1", "org_2"}, .metadata = {{"source", "test"}}, .machine = taskkit::machines::micro});
    h.get();
    CHECK(checks.failures() == no_failures);
    CHECK(checks.count() == 2);
    const auto record = h.snapshot();
    CHECK(record.tags == std::vector<std::string>{"user_1", "org_2"});
    CHECK(record.metadata == json{{"source", "test"}});
    CHECK(record.machine_spec == taskkit::machines::micro);
    // The JSON form of a record is complete.
    const json j = record;
    CHECK(j["status"] == "completed");
    CHECK(j["tags"][1] == "org_2");
    CHECK(j["attempts"].size() == 1);
    CHECK(j["parent_id"].is_null());
}

TEST_CASE("the run context carries ids, the attempt, the queue and the machine") {
    taskkit::registry reg;
    json seen;
    taskkit::task<json> t({.id = "ctx",
                           .description = "looks at its context",
                           .queue = {.name = "ctx-queue", .concurrency_limit = 3},
                           .machine = taskkit::machines::small_2x,
                           .run =
                               [&](const json&, taskkit::run_context& ctx) {
                                   seen = {{"run", std::string(ctx.run().id)},
                                           {"attempt", ctx.attempt().number},
                                           {"task", std::string(ctx.task().id)},
                                           {"description", std::string(ctx.task().description)},
                                           {"queue", std::string(ctx.queue().name)},
                                           {"limit", ctx.queue().concurrency_limit},
                                           {"cpu", ctx.machine().cpu},
                                           {"stop", ctx.stop_requested()}};
                               }},
                          reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(t, json::object());
    h.get();
    CHECK(seen == json{{"run", h.id()},
                       {"attempt", 1},
                       {"task", "ctx"},
                       {"description", "looks at its context"},
                       {"queue", "ctx-queue"},
                       {"limit", 3},
                       {"cpu", 1.0},
                       {"stop", false}});
}

TEST_CASE("the logger keeps levelled, structured lines on the record and passes them to the sink") {
    taskkit::registry reg;
    event_log sunk;
    taskkit::task<json> t({.id = "logs",
                           .run =
                               [](const json&, taskkit::run_context& ctx) {
                                   ctx.logger().debug("d {}", 1);
                                   ctx.logger().info("i {}", "two");
                                   ctx.logger().with({{"user", 42}}).warn("w");
                                   ctx.logger().error("e");
                               }},
                          reg);
    auto opts = options(reg);
    opts.log_sink = [&](const taskkit::log_entry& e) {
        sunk.add(std::string(taskkit::to_string(e.level)) + ":" + e.message);
    };
    taskkit::runtime rt(opts);
    auto h = rt.trigger(t, json::object());
    h.get();
    const auto record = h.snapshot();
    REQUIRE(record.logs.size() == 4);
    CHECK(record.logs[0].level == taskkit::log_level::debug);
    CHECK(record.logs[0].message == "d 1");
    CHECK(record.logs[1].message == "i two");
    CHECK(record.logs[2].attributes == json{{"user", 42}});
    CHECK(record.logs[2].level == taskkit::log_level::warn);
    CHECK(record.logs[3].run_id == h.id());
    CHECK(record.logs[3].attempt == 1);
    CHECK(sunk.get() == std::vector<std::string>{"debug:d 1", "info:i two", "warn:w", "error:e"});
}

TEST_CASE("log lines kept on a record are bounded") {
    taskkit::registry reg;
    taskkit::task<json> chatty({.id = "chatty",
                                .run =
                                    [](const json&, taskkit::run_context& ctx) {
                                        for (int i = 0; i < 47; ++i) ctx.logger().info("line {}", i);
                                    }},
                               reg);
    auto opts = options(reg);
    opts.max_log_entries = 10;
    taskkit::runtime rt(opts);
    auto h = rt.trigger(chatty, json::object());
    h.get();
    const auto record = h.snapshot();
    REQUIRE(record.logs.size() == 10);
    for (std::size_t i = 0; i < record.logs.size(); ++i)  // the most recent, oldest first (the ring wrapped mid-way)
        CHECK(record.logs[i].message == "line " + std::to_string(37 + i));
    CHECK(record.dropped_logs == 37);
}

TEST_CASE("subscribers see every status change of a run, in order") {
    taskkit::registry reg;
    std::atomic<int> attempts{0};
    taskkit::task<json> flaky(
        {.id = "flaky-sub",
         .retry = {.max_attempts = 2, .min_timeout = std::chrono::milliseconds(1), .randomize = false},
         .run =
             [&](const json&) {
                 if (++attempts == 1) throw std::runtime_error("first attempt fails");
             }},
        reg);
    taskkit::runtime rt(options(reg));
    event_log seen;
    auto sub =
        rt.subscribe([&](const taskkit::status_event& e) { seen.add(std::string(taskkit::to_string(e.status))); });
    auto h = rt.trigger(flaky, json::object());
    REQUIRE(h.wait_for(deadline));
    REQUIRE(eventually([&] { return seen.get().size() == 6; }));
    CHECK(seen.get() ==
          std::vector<std::string>{"queued", "executing", "retrying", "queued", "executing", "completed"});
    sub.unsubscribe();
    rt.trigger(flaky, json::object()).get();
    CHECK(seen.get().size() == 6);  // no calls after unsubscribe
}

TEST_CASE("get() rethrows the run's own exception, result() reports it without throwing") {
    taskkit::registry reg;
    struct custom_error : std::runtime_error {
        using std::runtime_error::runtime_error;
    };
    taskkit::task<json, int> failing({.id = "failing",
                                      .retry = {.max_attempts = 1},
                                      .run = [](const json&) -> int { throw custom_error("card declined"); }},
                                     reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(failing, json::object());
    CHECK_THROWS_AS(h.get(), custom_error);
    auto outcome = h.result();
    CHECK_FALSE(outcome.ok());
    CHECK(outcome.status() == taskkit::run_status::failed);
    CHECK(outcome.error().message == "card declined");
    CHECK(outcome.error().type.find("custom_error") != std::string::npos);
    CHECK_THROWS_AS(outcome.unwrap(), custom_error);
    CHECK_THROWS_AS(outcome.output(), taskkit::state_error);
    const auto record = h.snapshot();
    CHECK(record.status == taskkit::run_status::failed);
    REQUIRE(record.error.has_value());
    CHECK(record.error->message == "card declined");
    REQUIRE(record.attempts.size() == 1);
    REQUIRE(record.attempts[0].error.has_value());
}

TEST_CASE("an exception not derived from std::exception is still recorded") {
    taskkit::registry reg;
    taskkit::task<json> odd({.id = "odd", .retry = {.max_attempts = 1}, .run = [](const json&) { throw 42; }}, reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(odd, json::object());
    auto outcome = h.result();
    CHECK(outcome.status() == taskkit::run_status::failed);
    CHECK(outcome.error().type == "unknown");
    CHECK_THROWS_AS(h.get(), int);
}

TEST_CASE("the default runtime serves task.trigger() outside any run") {
    static const taskkit::task<int, int> twice(
        {.id = "default-runtime-twice", .run = [](const int& n) { return 2 * n; }});
    auto h = twice.trigger(21);
    CHECK(h.get() == 42);
    CHECK(twice.trigger_and_wait(5).unwrap() == 10);
    CHECK(taskkit::runtime::default_runtime().retrieve(h.id()).has_value());
}

TEST_CASE("a default handle refers to no run") {
    taskkit::run_handle<int> empty;
    CHECK_FALSE(empty.valid());
    CHECK_THROWS_AS(empty.status(), taskkit::state_error);
}
