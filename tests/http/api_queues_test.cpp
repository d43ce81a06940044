// Queues over HTTP: the list with counts and limits, pause and resume, and the concurrency override.
#include "http_test_support.hpp"

using namespace taskkit_http_test;
using taskkit_test::eventually;

TEST_CASE("queues are listed with their counts, paused and resumed, and their limit overridden") {
    taskkit::registry reg;
    taskkit::task<json> t(
        {.id = "t",
         .queue = {.name = "emails", .concurrency_limit = 2, .rate_limit = taskkit::rate_limit{.limit = 1000}},
         .run = [](const json&) {}},
        reg);
    fixture f(reg);
    const auto c = f.http();
    auto list = c.get("/api/v1/queues");
    REQUIRE(list.status == 200);
    json emails;
    for (const auto& q : list.json_body["queues"])
        if (q["name"] == "emails") emails = q;
    REQUIRE(emails.is_object());
    CHECK(emails["limit"] == 2);
    CHECK(emails["declared_limit"] == 2);
    CHECK(emails["paused"] == false);
    CHECK(emails["rate_limit"]["limit"] == 1000);
    CHECK(emails["rate_limit"]["period_ms"] == 1000);
    CHECK(emails["keys"].is_array());

    auto paused = c.post("/api/v1/queues/emails/pause");
    REQUIRE(paused.status == 200);
    CHECK(paused.json_body["paused"] == true);
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i)
        ids.push_back(c.post("/api/v1/tasks/t/trigger", json::object()).json_body["id"].get<std::string>());
    REQUIRE(eventually([&] { return c.get("/api/v1/queues/emails").json_body["queued"] == 3; }));
    CHECK(c.get("/api/v1/queues/emails").json_body["executing"] == 0);
    for (const auto& id : ids) CHECK(f.rt.retrieve(id)->status == taskkit::run_status::queued);

    auto resumed = c.post("/api/v1/queues/emails/resume");
    CHECK(resumed.json_body["paused"] == false);
    CHECK(eventually([&] {
        for (const auto& id : ids)
            if (f.rt.retrieve(id)->status != taskkit::run_status::completed) return false;
        return true;
    }));

    auto set = c.post("/api/v1/queues/emails/concurrency", json{{"limit", 5}});
    REQUIRE(set.status == 200);
    CHECK(set.json_body["limit"] == 5);
    CHECK(set.json_body["limit_overridden"] == true);
    CHECK(set.json_body["declared_limit"] == 2);
    auto reset = c.post("/api/v1/queues/emails/concurrency", json{{"limit", nullptr}});
    CHECK(reset.json_body["limit"] == 2);
    CHECK(reset.json_body["limit_overridden"] == false);
    CHECK(c.post("/api/v1/queues/emails/concurrency", json{{"limit", 7}}).json_body["limit"] == 7);
    auto deleted = c.del("/api/v1/queues/emails/concurrency");
    CHECK(deleted.status == 200);
    CHECK(deleted.json_body["limit"] == 2);

    CHECK(c.post("/api/v1/queues/emails/concurrency", json{{"limit", 0}}).status == 400);
    CHECK(c.post("/api/v1/queues/emails/concurrency", json{{"limit", "many"}}).status == 400);
    CHECK(c.post("/api/v1/queues/emails/concurrency", json::object()).status == 400);
    CHECK(c.post("/api/v1/queues/emails/concurrency", json{{"limit", 1}, {"x", 1}}).status == 400);
    for (const auto& path : {"/api/v1/queues/nope", "/api/v1/queues/nope/pause", "/api/v1/queues/nope/resume"}) {
        auto a = std::string(path) == "/api/v1/queues/nope" ? c.get(path) : c.post(path);
        INFO(path);
        CHECK(a.status == 404);
        CHECK(a.error_code() == "unknown_queue");
    }
    CHECK(c.post("/api/v1/queues/nope/concurrency", json{{"limit", 1}}).error_code() == "unknown_queue");
    CHECK(c.del("/api/v1/queues/nope/concurrency").error_code() == "unknown_queue");
}
