// schema_task with hostile payloads: nested without bound, and numbers that do not fit the type.
#include <atomic>
#include <functional>
#include <limits>
#include <string>

#include "schema_task/schema_task_support.hpp"

using namespace taskkit_test;
using namespace schema_task_test;

namespace {

json nested_arrays(std::size_t depth) { return json::parse(std::string(depth, '[') + std::string(depth, ']')); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// Item 1 of "reliability under hostile input": a typed schema_task<json> copied the payload
// (recursively, overflowing the stack) before its validator checked the depth.
TEST_CASE("a schema_task refuses a payload nested beyond max_payload_depth before copying it") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::schema_task<json> task({.id = "any-json", .schema = json(true), .run = [&](const json&) { ++runs; }}, reg);
    taskkit::runtime rt(taskkit_test::options(reg));
    json deep = nested_arrays(100'000);

    // The schema's own depth check (max_depth 256, as max_payload_depth) reports it first.
    auto refused = [&](const std::function<void()>& trigger) {
        try {
            trigger();
            FAIL("the trigger did not throw");
        } catch (const taskkit::validation_error& e) {
            REQUIRE(e.violations().size() == 1);
            CHECK(e.violations()[0].keyword == "maxDepth");
            CHECK(contains(e.what(), "payload of task 'any-json'"));
        }
    };
    SECTION("typed") {
        refused([&] { (void)rt.trigger(task, std::move(deep)); });
    }
    SECTION("by id") {
        refused([&] { (void)rt.trigger("any-json", deep); });
    }
    SECTION("at the limit, it runs") {
        auto h = rt.trigger(task, nested_arrays(taskkit::max_payload_depth));
        REQUIRE(h.wait_for(deadline));
        CHECK(h.status() == taskkit::run_status::completed);
        CHECK(runs.load() == 1);
    }
    if (runs.load() == 0) CHECK(held_runs(rt) == 0);
}

// Item 12: a schema that allows any number let 1e30 into an int member as -2147483648.
TEST_CASE("a schema_task refuses by id a number its member cannot hold") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::schema_task<create_user> task({.id = "create-user-loose",
                                            .schema = json::parse(R"({"type": "object"})"),
                                            .run = [&](const create_user&) { ++runs; }},
                                           reg);
    taskkit::runtime rt(options(reg));
    for (const json& age : {json(1e30), json(2.5), json(std::numeric_limits<std::int64_t>::max())}) {
        INFO(age.dump());
        try {
            (void)rt.trigger("create-user-loose", {{"name", "Ada"}, {"email", "a@b"}, {"age", age}});
            FAIL("the trigger did not throw");
        } catch (const taskkit::payload_error& e) {
            CHECK(contains(e.what(), "payload for task 'create-user-loose' matches its schema but does not decode"));
            CHECK(contains(e.what(), "/age: "));
        }
    }
    auto h = rt.trigger("create-user-loose", {{"name", "Ada"}, {"email", "a@b"}, {"age", 36.0}});
    REQUIRE(h.wait_for(deadline));
    CHECK(h.status() == taskkit::run_status::completed);
    CHECK(runs.load() == 1);
}
