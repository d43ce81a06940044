// schema_task: payloads refused before any run exists, valid payloads run, registry.schema().
#include <atomic>
#include <string>
#include <vector>

#include "schema_task/schema_task_support.hpp"

using namespace taskkit_test;
using namespace schema_task_test;

namespace {
const taskkit::schema_violation* find_violation(const std::vector<taskkit::schema_violation>& list,
                                                const std::string& path, const std::string& keyword) {
    for (const auto& v : list)
        if (v.instance_path == path && v.keyword == keyword) return &v;
    return nullptr;
}
}  // namespace

TEST_CASE("a typed payload that fails the schema throws validation_error with every violation, and no run") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::schema_task<create_user> task({.id = "create-user",
                                            .schema = user_schema(),
                                            .retry = {.max_attempts = 5, .min_timeout = 0ms, .randomize = false},
                                            .run = [&](const create_user&) { ++runs; }},
                                           reg);
    taskkit::runtime rt(taskkit_test::options(reg));
    event_log events;
    auto sub = rt.subscribe([&](const taskkit::status_event& e) { events.add(std::string(e.run_id)); });

    const create_user bad{.name = "", .age = 200, .email = "no-at-sign"};
    try {
        (void)rt.trigger(task, bad);
        FAIL("the trigger did not throw");
    } catch (const taskkit::validation_error& e) {
        CHECK(e.code() == taskkit::error_code::validation_failed);
        const auto& v = e.violations();
        REQUIRE(v.size() == 3);
        const auto* age = find_violation(v, "/age", "maximum");
        REQUIRE(age != nullptr);
        CHECK(age->message == "/age: 200 is greater than the maximum 150");
        CHECK(age->schema_path == "/properties/age/maximum");
        REQUIRE(find_violation(v, "/name", "minLength") != nullptr);
        REQUIRE(find_violation(v, "/email", "pattern") != nullptr);
        const std::string what = e.what();
        CHECK(what.find("payload of task 'create-user'") != std::string::npos);
        CHECK(what.find("3 violations") != std::string::npos);
        CHECK(what.find("/age: 200 is greater than the maximum 150") != std::string::npos);
        CHECK(what.find("/name:") != std::string::npos);
        CHECK(what.find("/email:") != std::string::npos);
    }
    // task.trigger() validates before choosing a runtime, so it throws the same way.
    CHECK_THROWS_AS(task.trigger(bad), taskkit::validation_error);
    CHECK_THROWS_AS(rt.trigger_and_wait(task, bad), taskkit::validation_error);

    CHECK(held_runs(rt) == 0);
    CHECK(runs.load() == 0);
    CHECK(events.get().empty());
}

TEST_CASE("a JSON payload by id that fails the schema throws validation_error with every violation, and no run") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::schema_task<create_user> task(
        {.id = "create-user", .schema = user_schema(), .run = [&](const create_user&) { ++runs; }}, reg);
    taskkit::runtime rt(taskkit_test::options(reg));

    const auto payload = json::parse(R"({"name": 5, "age": "old", "nickname": "ada"})");
    try {
        (void)rt.trigger("create-user", payload);
        FAIL("the trigger did not throw");
    } catch (const taskkit::validation_error& e) {
        const auto& v = e.violations();
        REQUIRE(v.size() == 4);
        const auto* missing = find_violation(v, "", "required");
        REQUIRE(missing != nullptr);
        CHECK(missing->message.find("\"email\"") != std::string::npos);
        CHECK(missing->message.rfind("(root): ", 0) == 0);
        REQUIRE(find_violation(v, "/name", "type") != nullptr);
        REQUIRE(find_violation(v, "/age", "type") != nullptr);
        const auto* extra = find_violation(v, "/nickname", "additionalProperties");
        REQUIRE(extra != nullptr);
        CHECK(extra->message.rfind("/nickname: ", 0) == 0);
        for (const auto& violation : v) {
            CHECK(!violation.keyword.empty());
            CHECK(!violation.message.empty());
        }
    }
    // Not even a JSON object.
    CHECK_THROWS_AS(rt.trigger("create-user", json::array({1, 2})), taskkit::validation_error);
    CHECK_THROWS_AS(rt.trigger("create-user", json()), taskkit::validation_error);

    CHECK(held_runs(rt) == 0);
    CHECK(runs.load() == 0);
}

TEST_CASE("a refused payload is an error at the trigger, never a failed or retried run") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::schema_task<create_user> task({.id = "create-user",
                                            .schema = user_schema(),
                                            .retry = {.max_attempts = 10, .min_timeout = 0ms, .randomize = false},
                                            .run = [&](const create_user&) { ++runs; }},
                                           reg);
    taskkit::runtime rt(taskkit_test::options(reg));
    for (int i = 0; i < 20; ++i) {
        CHECK_THROWS_AS(rt.trigger("create-user", json{{"name", "x"}, {"email", "x"}, {"age", -i - 1}}),
                        taskkit::validation_error);
    }
    // A valid trigger afterwards is the only run there is.
    auto handle = rt.trigger("create-user", json{{"name", "x"}, {"email", "x@y"}});
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.status() == taskkit::run_status::completed);
    CHECK(held_runs(rt) == 1);
    CHECK(runs.load() == 1);
    CHECK(handle.snapshot().attempts.size() == 1);
}

TEST_CASE("valid payloads run, typed and by id, and every attempt sees the validated payload") {
    taskkit::registry reg;
    event_log seen;
    taskkit::schema_task<create_user, std::string> task(
        {.id = "create-user",
         .schema = user_schema(),
         .retry = {.max_attempts = 3, .min_timeout = 0ms, .max_timeout = 0ms, .randomize = false},
         .run =
             [&](const create_user& user, taskkit::run_context& ctx) {
                 seen.add(std::to_string(ctx.attempt().number) + ":" + json(user).dump());
                 if (ctx.attempt().number < 3) throw std::runtime_error("transient");
                 return user.name + " <" + user.email + ">";
             }},
        reg);
    taskkit::runtime rt(options(reg));

    auto typed = rt.trigger(task, {.name = "Ada", .age = 36, .email = "ada@example.com"});
    REQUIRE(typed.wait_for(deadline));
    CHECK(typed.get() == "Ada <ada@example.com>");
    auto attempts = seen.get();
    REQUIRE(attempts.size() == 3);
    for (int i = 0; i < 3; ++i)
        CHECK(attempts[static_cast<std::size_t>(i)] ==
              std::to_string(i + 1) + R"(:{"age":36,"email":"ada@example.com","name":"Ada"})");

    auto by_id = rt.trigger("create-user", json{{"name", "Grace"}, {"email", "grace@navy.mil"}});
    REQUIRE(by_id.wait_for(deadline));
    CHECK(by_id.get() == "Grace <grace@navy.mil>");
    attempts = seen.get();
    REQUIRE(attempts.size() == 6);
    CHECK(attempts[5] == R"(3:{"email":"grace@navy.mil","name":"Grace"})");

    auto waited = rt.trigger_and_wait(task, {.name = "Linus", .email = "l@kernel"});
    REQUIRE(waited.ok());
    CHECK(waited.output() == "Linus <l@kernel>");
}

TEST_CASE("a schema task triggered from inside a run is validated too") {
    taskkit::registry reg;
    taskkit::schema_task<create_user> child({.id = "child", .schema = user_schema(), .run = [](const create_user&) {}},
                                            reg);
    taskkit::task<json, std::string> parent({.id = "parent",
                                             .retry = {.max_attempts = 1},
                                             .run =
                                                 [&](const json&) {
                                                     try {
                                                         (void)child.trigger({.name = "", .email = "x@y"});
                                                         return std::string("accepted");
                                                     } catch (const taskkit::validation_error& e) {
                                                         return e.violations().at(0).instance_path;
                                                     }
                                                 }},
                                            reg);
    taskkit::runtime rt(options(reg));
    auto handle = rt.trigger(parent, json::object());
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.get() == "/name");
}

TEST_CASE("registry.schema(id) returns a schema task's schema, and null for a plain task") {
    taskkit::registry reg;
    taskkit::schema_task<create_user> with({.id = "create-user",
                                            .description = "Creates a user",
                                            .schema = user_schema(),
                                            .run = [](const create_user&) {}},
                                           reg);
    taskkit::task<create_user> without({.id = "plain", .run = [](const create_user&) {}}, reg);

    CHECK(reg.schema("create-user") == user_schema());
    CHECK(with.schema() == user_schema());
    CHECK(with.id() == "create-user");
    CHECK(with.definition()->description == "Creates a user");
    CHECK(reg.schema("plain").is_null());
    CHECK_THROWS_AS(reg.schema("nope"), taskkit::unknown_task_error);

    // A plain task has no validator: only decoding applies.
    taskkit::runtime rt(options(reg));
    auto handle = rt.trigger(without, {.name = "", .age = 999, .email = "anything"});
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.status() == taskkit::run_status::completed);
}

TEST_CASE("an invalid schema throws schema_error at definition and registers nothing") {
    taskkit::registry reg;
    auto define = [&](json schema) {
        taskkit::schema_task<create_user> task(
            {.id = "create-user", .schema = std::move(schema), .run = [](const create_user&) {}}, reg);
    };
    try {
        define(json::parse(R"({"type": "object", "properties": {"age": {"minimum": "zero"}}})"));
        FAIL("no schema_error");
    } catch (const taskkit::schema_error& e) {
        CHECK(e.pointer() == "/properties/age/minimum");
        const std::string what = e.what();
        CHECK(what.find("\"/properties/age/minimum\"") != std::string::npos);
        CHECK(what.find("task 'create-user'") != std::string::npos);
    }
    CHECK(!reg.contains("create-user"));

    CHECK_THROWS_AS(define(json::parse(R"({"type": "person"})")), taskkit::schema_error);
    CHECK_THROWS_AS(define(json::parse(R"({"$ref": "#/definitions/missing"})")), taskkit::schema_error);
    CHECK_THROWS_AS(define(json::parse(R"x({"pattern": "(?=lookahead)"})x")), taskkit::schema_error);
    CHECK_THROWS_AS(define(json(42)), taskkit::schema_error);
    try {
        define(json());  // .schema left out
        FAIL("no schema_error");
    } catch (const taskkit::schema_error& e) {
        CHECK(std::string(e.what()).find("needs a .schema") != std::string::npos);
    }
    CHECK(reg.ids().empty());

    // The task options are checked first: a missing .run is an options_error.
    CHECK_THROWS_AS((taskkit::schema_task<create_user>({.id = "x", .schema = json(true)}, reg)),
                    taskkit::options_error);
    // A duplicate id is refused as for any task; the first one stays.
    taskkit::schema_task<create_user> first({.id = "dup", .schema = json(true), .run = [](const create_user&) {}}, reg);
    CHECK_THROWS_AS((taskkit::schema_task<create_user>(
                        {.id = "dup", .schema = user_schema(), .run = [](const create_user&) {}}, reg)),
                    taskkit::duplicate_task_error);
    CHECK(reg.schema("dup") == json(true));
    // Defining it again after a failure works.
    define(user_schema());
}

TEST_CASE("a destroyed schema task unregisters, and its id can be defined again") {
    taskkit::registry reg;
    {
        taskkit::schema_task<create_user> task(
            {.id = "create-user", .schema = user_schema(), .run = [](const create_user&) {}}, reg);
        CHECK(reg.contains("create-user"));
    }
    CHECK(!reg.contains("create-user"));
    taskkit::schema_task<create_user> again(
        {.id = "create-user", .schema = json(true), .run = [](const create_user&) {}}, reg);
    CHECK(reg.schema("create-user") == json(true));
}
