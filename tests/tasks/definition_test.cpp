// Task definitions: ids, options, the registry, payload and result types.
#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;

namespace {
struct point {
    int x = 0;
    int y = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(point, x, y)

struct not_json {
    int x = 0;
};
}  // namespace

static_assert(taskkit::json_serializable<point>);
static_assert(taskkit::json_serializable<json>);
static_assert(taskkit::json_serializable<int>);
static_assert(taskkit::json_serializable<std::string>);
static_assert(!taskkit::json_serializable<not_json>);
static_assert(taskkit::task_result<void>);
static_assert(!taskkit::task_result<not_json>);

TEST_CASE("a task registers under its id and unregisters when destroyed") {
    taskkit::registry reg;
    {
        taskkit::task<json> t({.id = "registers", .run = [](const json&) {}}, reg);
        CHECK(reg.contains("registers"));
        CHECK(reg.ids() == std::vector<std::string>{"registers"});
        CHECK(t.id() == "registers");
    }
    CHECK_FALSE(reg.contains("registers"));
}

TEST_CASE("defining a second task with a registered id throws duplicate_task_error") {
    taskkit::registry reg;
    taskkit::task<json> first({.id = "dup", .run = [](const json&) {}}, reg);
    REQUIRE_THROWS_AS(taskkit::task<json>({.id = "dup", .run = [](const json&) {}}, reg),
                      taskkit::duplicate_task_error);
    try {
        taskkit::task<int> second({.id = "dup", .run = [](const int&) {}}, reg);
        FAIL("no exception");
    } catch (const taskkit::error& e) {
        CHECK(e.code() == taskkit::error_code::duplicate_task);
        CHECK(std::string(e.what()).find("'dup'") != std::string::npos);
    }
    // The first definition is untouched.
    CHECK(reg.find("dup") == first.definition());
}

TEST_CASE("bad task options are a clear options_error at definition") {
    taskkit::registry reg;
    using taskkit::options_error;
    CHECK_THROWS_AS(taskkit::task<json>({.id = "", .run = [](const json&) {}}, reg), options_error);
    CHECK_THROWS_AS(taskkit::task<json>({.id = "no-run"}, reg), options_error);
    CHECK_THROWS_AS(taskkit::task<json>({.id = "a", .retry = {.max_attempts = 0}, .run = [](const json&) {}}, reg),
                    options_error);
    CHECK_THROWS_AS(taskkit::task<json>({.id = "b", .retry = {.factor = -1}, .run = [](const json&) {}}, reg),
                    options_error);
    CHECK_THROWS_AS(
        taskkit::task<json>({.id = "c",
                             .retry = {.min_timeout = std::chrono::seconds(5), .max_timeout = std::chrono::seconds(1)},
                             .run = [](const json&) {}},
                            reg),
        options_error);
    CHECK_THROWS_AS(
        taskkit::task<json>({.id = "d", .queue = {.concurrency_limit = -1}, .run = [](const json&) {}}, reg),
        options_error);
    CHECK_THROWS_AS(
        taskkit::task<json>({.id = "e", .machine = {.cpu = 0, .memory = 1}, .run = [](const json&) {}}, reg),
        options_error);
    CHECK_THROWS_AS(
        taskkit::task<json>({.id = "f", .max_duration = std::chrono::milliseconds(0), .run = [](const json&) {}}, reg),
        options_error);
    CHECK(reg.ids().empty());  // nothing half-registered
}

TEST_CASE("tasks naming one queue with different limits are refused") {
    taskkit::registry reg;
    taskkit::task<json> a({.id = "a", .queue = {.name = "shared", .concurrency_limit = 2}, .run = [](const json&) {}},
                          reg);
    CHECK_THROWS_AS(
        taskkit::task<json>({.id = "b", .queue = {.name = "shared", .concurrency_limit = 3}, .run = [](const json&) {}},
                            reg),
        taskkit::options_error);
    taskkit::task<json> c({.id = "c", .queue = {.name = "shared"}, .run = [](const json&) {}}, reg);  // inherits 2
    CHECK(reg.queue_limit("shared") == 2);
}

TEST_CASE("the run function may take the payload alone or the payload and the context") {
    taskkit::registry reg;
    taskkit::task<point, int> sum({.id = "sum", .run = [](const point& p) { return p.x + p.y; }}, reg);
    taskkit::task<point, std::string> where(
        {.id = "where",
         .run = [](const point& p,
                   taskkit::run_context& ctx) { return std::string(ctx.task().id) + ":" + std::to_string(p.x); }},
        reg);
    taskkit::runtime rt(options(reg));
    CHECK(rt.trigger(sum, {.x = 2, .y = 3}).get() == 5);
    CHECK(rt.trigger(where, {.x = 7}).get() == "where:7");
}

TEST_CASE("machine presets match Trigger.dev's") {
    using namespace taskkit::machines;
    CHECK(micro == taskkit::machine{0.25, 0.25});
    CHECK(small_1x == taskkit::machine{0.5, 0.5});
    CHECK(small_2x == taskkit::machine{1, 1});
    CHECK(medium_1x == taskkit::machine{1, 2});
    CHECK(medium_2x == taskkit::machine{2, 4});
    CHECK(large_1x == taskkit::machine{4, 8});
    CHECK(large_2x == taskkit::machine{8, 16});
    CHECK(preset("large-1x") == large_1x);
    CHECK_FALSE(preset("huge").has_value());
    CHECK(taskkit::task_options<json>{}.machine == taskkit::machines::none);  // the default: no budget held
}

TEST_CASE("run statuses have names and a terminal flag") {
    using taskkit::run_status;
    CHECK(taskkit::to_string(run_status::timed_out) == "timed_out");
    CHECK(taskkit::parse_run_status("waiting") == run_status::waiting);
    CHECK_FALSE(taskkit::parse_run_status("bogus").has_value());
    CHECK_FALSE(taskkit::is_terminal(run_status::retrying));
    CHECK(taskkit::is_terminal(run_status::expired));
    CHECK(taskkit::is_terminal(run_status::crashed));
}
