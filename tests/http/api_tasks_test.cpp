// GET /api/v1/tasks, GET /api/v1/tasks/{id} and POST /api/v1/tasks/{id}/trigger with every
// trigger option, and the answers for bad payloads and options.
#include "http_test_support.hpp"

#if TASKKIT_HTTP_TEST_SCHEMA
#include <taskkit/schema_task.hpp>
#endif
#if TASKKIT_HTTP_TEST_SCHEDULES
#include <taskkit/schedule.hpp>
#endif

using namespace taskkit_http_test;
using taskkit_test::eventually;

namespace {

struct order {
    std::string item;
    int quantity = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(order, item, quantity)

std::optional<taskkit::run_record> wait_status(taskkit::runtime& rt, const std::string& id, taskkit::run_status s) {
    std::optional<taskkit::run_record> r;
    const bool reached = eventually([&] {
        r = rt.retrieve(id);
        return r && r->status == s;
    });
    return reached ? r : std::nullopt;
}

}  // namespace

TEST_CASE("GET /api/v1/tasks describes every task, by id") {
    using namespace std::chrono_literals;
    taskkit::registry reg;
    taskkit::task<order, int> price({.id = "price",
                                     .description = "prices an order",
                                     .retry = {.max_attempts = 5, .min_timeout = 250ms},
                                     .queue = {.name = "orders", .concurrency_limit = 2},
                                     .machine = taskkit::machines::small_2x,
                                     .max_duration = 30s,
                                     .run = [](const order& o) { return o.quantity * 3; }},
                                    reg);
    taskkit::task<json> plain({.id = "plain", .run = [](const json&) {}}, reg);
    fixture f(reg);
    auto a = f.http().get("/api/v1/tasks");
    REQUIRE(a.status == 200);
    const auto& tasks = a.json_body["tasks"];
    REQUIRE(tasks.size() == 2);
    CHECK(tasks[0]["id"] == "plain");
    const auto& p = tasks[1];
    CHECK(p["id"] == "price");
    CHECK(p["kind"] == "task");
    CHECK(p["description"] == "prices an order");
    CHECK(p["queue"]["name"] == "orders");
    CHECK(p["queue"]["concurrency_limit"] == 2);
    CHECK(p["retry"]["max_attempts"] == 5);
    CHECK(p["retry"]["min_timeout_ms"] == 250);
    CHECK(p["machine"]["cpu"] == 1.0);
    CHECK(p["max_duration_ms"] == 30000);
    CHECK(p["schema"].is_null());
    CHECK(tasks[0]["max_duration_ms"].is_null());

    auto one = f.http().get("/api/v1/tasks/price");
    CHECK(one.status == 200);
    CHECK(one.json_body == p);
    auto missing = f.http().get("/api/v1/tasks/nope");
    CHECK(missing.status == 404);
    CHECK(missing.error_code() == "unknown_task");
}

TEST_CASE("POST trigger creates a run and answers 202 with its id") {
    taskkit::registry reg;
    taskkit::task<order, int> price({.id = "price", .run = [](const order& o) { return o.quantity * 3; }}, reg);
    fixture f(reg);
    auto a = f.http().post("/api/v1/tasks/price/trigger", json{{"payload", {{"item", "tea"}, {"quantity", 4}}}});
    REQUIRE(a.status == 202);
    const auto id = a.json_body["id"].get<std::string>();
    CHECK(id.rfind("run_", 0) == 0);
    CHECK(a.json_body["cached"] == false);
    auto done = wait_status(f.rt, id, taskkit::run_status::completed);
    REQUIRE(done);
    CHECK(done->output == 12);

    auto missing = f.http().post("/api/v1/tasks/nope/trigger", json{{"payload", 1}});
    CHECK(missing.status == 404);
    CHECK(missing.error_code() == "unknown_task");
}

TEST_CASE("every trigger option reaches the run") {
    using namespace std::chrono_literals;
    taskkit::registry reg;
    taskkit::queue_options shared{.name = "shared", .concurrency_limit = 3};
    taskkit::task<json> other({.id = "other", .queue = shared, .run = [](const json&) {}}, reg);
    taskkit::task<json, int> t(
        {.id = "t", .run = [](const json&, taskkit::run_context& ctx) { return ctx.attempt().number; }}, reg);
    taskkit::task<json> fails({.id = "fails",
                               .retry = {.max_attempts = 5, .min_timeout = 1ms, .randomize = false},
                               .run = [](const json&) { throw std::runtime_error("no"); }},
                              reg);
    fixture f(reg);
    const auto c = f.http();

    SECTION("tags, metadata, queue, concurrency key, priority, idempotency key, machine") {
        const json body{{"payload", {{"a", 1}}},
                        {"options",
                         {{"tags", {"user_42", "http"}},
                          {"metadata", {{"source", "api"}}},
                          {"queue", "shared"},
                          {"concurrency_key", "user_42"},
                          {"priority", 7},
                          {"idempotency_key", "k-1"},
                          {"idempotency_key_ttl", "PT1H"},
                          {"machine", "small-2x"},
                          {"max_duration", 60000},
                          {"ttl", "PT10M"}}}};
        auto a = c.post("/api/v1/tasks/t/trigger", body);
        REQUIRE(a.status == 202);
        const auto id = a.json_body["id"].get<std::string>();
        auto r = wait_status(f.rt, id, taskkit::run_status::completed);
        REQUIRE(r);
        CHECK(r->payload == json{{"a", 1}});
        CHECK(r->tags == std::vector<std::string>{"user_42", "http"});
        CHECK(r->metadata["source"] == "api");
        CHECK(r->queue == "shared");
        CHECK(r->concurrency_key == "user_42");
        CHECK(r->priority == 7);
        CHECK(r->idempotency_key == "k-1");
        CHECK(r->machine_spec == taskkit::machines::small_2x);
        // The same key again: the first run answers, and nothing new starts.
        auto again = c.post("/api/v1/tasks/t/trigger", body);
        CHECK(again.status == 202);
        CHECK(again.json_body["id"] == id);
        CHECK(again.json_body["cached"] == true);
    }
    SECTION("a machine as cpu and memory") {
        auto a = c.post("/api/v1/tasks/t/trigger", json{{"options", {{"machine", {{"cpu", 2}, {"memory", 4}}}}}});
        REQUIRE(a.status == 202);
        auto r = wait_status(f.rt, a.json_body["id"], taskkit::run_status::completed);
        REQUIRE(r);
        CHECK(r->machine_spec == taskkit::machines::medium_2x);
    }
    SECTION("max_attempts overrides the task's retry") {
        auto a = c.post("/api/v1/tasks/fails/trigger", json{{"options", {{"max_attempts", 2}}}});
        REQUIRE(a.status == 202);
        auto r = wait_status(f.rt, a.json_body["id"], taskkit::run_status::failed);
        REQUIRE(r);
        CHECK(r->attempts.size() == 2);
    }
    SECTION("a delay as an ISO 8601 duration, as milliseconds and as an RFC 3339 time") {
        const auto before = std::chrono::system_clock::now();
        for (const json& delay : {json("PT1H"), json(3600000), json("2200-01-02T03:04:05.250Z")}) {
            auto a = c.post("/api/v1/tasks/t/trigger", json{{"options", {{"delay", delay}}}});
            INFO(delay.dump());
            REQUIRE(a.status == 202);
            auto r = f.rt.retrieve(a.json_body["id"].get<std::string>());
            REQUIRE(r);
            CHECK(r->status == taskkit::run_status::delayed);
            REQUIRE(r->run_at);
            CHECK(*r->run_at >= before + 59min);
            if (delay.is_string() && delay.get<std::string>()[0] == '2')
                CHECK(taskkit::detail::to_millis(*r->run_at) == 7258215845250);
            CHECK(f.rt.cancel(r->id));
        }
    }
}

TEST_CASE("bad options and unknown ones are refused with their paths, creating nothing") {
    taskkit::registry reg;
    taskkit::task<json> t({.id = "t", .run = [](const json&) {}}, reg);
    fixture f(reg);
    const auto c = f.http();
    const auto refused = [&](const json& options, const std::string& path) {
        auto a = c.post("/api/v1/tasks/t/trigger", json{{"payload", 1}, {"options", options}});
        INFO(options.dump() + " -> " + a.body);
        CHECK(a.status == 400);
        CHECK(a.error_code() == "validation_failed");
        bool found = false;
        for (const auto& d : a.json_body["error"]["details"])
            if (d["path"] == path) found = true;
        CHECK(found);
    };
    refused({{"colour", "red"}}, "/options/colour");
    refused({{"ttl", -5}}, "/options/ttl");
    refused({{"ttl", "5 minutes"}}, "/options/ttl");
    refused({{"ttl", "P1M"}}, "/options/ttl");  // months have no fixed length
    refused({{"delay", "tomorrow"}}, "/options/delay");
    refused({{"delay", "2026-13-40T00:00:00Z"}}, "/options/delay");
    refused({{"delay", "2999-01-01T00:00:00Z"}}, "/options/delay");  // past what a time_point holds
    refused({{"tags", "x"}, {"priority", "high"}}, "/options/priority");
    refused({{"tags", {1, 2}}}, "/options/tags/0");
    refused({{"tags", json::array({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"})}}, "/options");
    refused({{"max_attempts", 0}}, "/options");
    refused({{"max_attempts", 1e10}}, "/options/max_attempts");
    refused({{"machine", "huge"}}, "/options/machine");
    refused({{"machine", {{"cpu", 1}}}}, "/options/machine");
    refused({{"machine", {{"cpu", 1000}, {"memory", 1000}}}}, "/options/machine");  // larger than the runtime
    refused({{"metadata", "x"}}, "/options/metadata");
    refused({{"queue", "undeclared-queue"}}, "/options");
    refused(json::array(), "/options");
    auto extra = c.post("/api/v1/tasks/t/trigger", json{{"payload", 1}, {"payloud", 2}});
    CHECK(extra.status == 400);
    CHECK(extra.json_body["error"]["details"][0]["path"] == "/payloud");
    CHECK(taskkit_test::held_runs(f.rt) == 0);
}

TEST_CASE("a payload of the wrong type is a 400 naming the member") {
    taskkit::registry reg;
    taskkit::task<order, int> price({.id = "price", .run = [](const order& o) { return o.quantity; }}, reg);
    fixture f(reg);
    auto a = f.http().post("/api/v1/tasks/price/trigger", json{{"payload", {{"item", "tea"}, {"quantity", "four"}}}});
    CHECK(a.status == 400);
    CHECK(a.error_code() == "validation_failed");
    REQUIRE(a.json_body["error"]["details"].size() == 1);
    CHECK(a.json_body["error"]["details"][0]["path"] == "/payload");
    CHECK(a.json_body["error"]["details"][0]["message"].get<std::string>().find("/quantity") != std::string::npos);
    auto none = f.http().post("/api/v1/tasks/price/trigger", json::object());  // a null payload
    CHECK(none.status == 400);
    CHECK(taskkit_test::held_runs(f.rt) == 0);
}

#if TASKKIT_HTTP_TEST_SCHEMA
TEST_CASE("a schema task's violations come back with their JSON Pointer paths") {
    taskkit::registry reg;
    taskkit::schema_task<json> create_user({.id = "create-user",
                                            .schema = json::parse(R"({"type": "object", "required": ["email"],
                                              "properties": {"email": {"type": "string"},
                                                             "age": {"type": "integer", "maximum": 150}}})"),
                                            .run = [](const json&) {}},
                                           reg);
    fixture f(reg);
    auto task = f.http().get("/api/v1/tasks/create-user");
    CHECK(task.json_body["kind"] == "schema");
    CHECK(task.json_body["schema"]["required"][0] == "email");
    auto a = f.http().post("/api/v1/tasks/create-user/trigger", json{{"payload", {{"email", "a@b"}, {"age", 200}}}});
    REQUIRE(a.status == 400);
    CHECK(a.error_code() == "validation_failed");
    const auto& d = a.json_body["error"]["details"];
    REQUIRE(d.size() == 1);
    CHECK(d[0]["path"] == "/payload/age");
    CHECK(d[0]["instance_path"] == "/age");
    CHECK(d[0]["keyword"] == "maximum");
    CHECK(d[0]["schema_path"] == "/properties/age/maximum");
    auto ok = f.http().post("/api/v1/tasks/create-user/trigger", json{{"payload", {{"email", "a@b"}}}});
    CHECK(ok.status == 202);
}
#endif

#if TASKKIT_HTTP_TEST_SCHEDULES
TEST_CASE("a scheduled task is listed with its schedules and their next fire times") {
    taskkit::registry reg;
    const taskkit::scheduled_task nightly(
        {.id = "nightly",
         .cron = taskkit::cron_options{.pattern = "0 3 * * *", .timezone = "Asia/Tokyo"},
         .run = [](const taskkit::schedule_payload&) {}},
        reg);
    fixture f(reg);
    auto a = f.http().get("/api/v1/tasks/nightly");
    REQUIRE(a.status == 200);
    CHECK(a.json_body["kind"] == "scheduled");
    REQUIRE(a.json_body["schedules"].size() == 1);
    const auto& s = a.json_body["schedules"][0];
    CHECK(s["cron"] == "0 3 * * *");
    CHECK(s["timezone"] == "Asia/Tokyo");
    CHECK(!s["next_timestamp"].is_null());
}
#endif

TEST_CASE("a trigger after the runtime stopped is a 503") {
    taskkit::registry reg;
    taskkit::task<json> t({.id = "t", .run = [](const json&) {}}, reg);
    fixture f(reg);
    f.rt.shutdown();
    auto a = f.http().post("/api/v1/tasks/t/trigger", json{{"payload", 1}});
    CHECK(a.status == 503);
    CHECK(a.error_code() == "runtime_stopped");
}
