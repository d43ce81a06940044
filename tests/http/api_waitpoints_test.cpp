// Waitpoint tokens over HTTP: listed with filters, retrieved, completed (a waiting run continues
// with the data), completed twice, unknown and timed out; the bearer token is required.
#include "http_test_support.hpp"

using namespace taskkit_http_test;
using taskkit_test::eventually;

TEST_CASE("a waitpoint token is completed over HTTP and the run waiting on it continues with the data") {
    taskkit::registry reg;
    taskkit::task<json, std::string> review({.id = "review",
                                             .run =
                                                 [](const json&, taskkit::run_context& ctx) {
                                                     auto token = ctx.create_token({.tags = {"review"}});
                                                     auto r = ctx.wait_for_token(token);
                                                     return r.ok() ? r.output()["by"].get<std::string>()
                                                                   : r.error().message;
                                                 }},
                                            reg);
    fixture f(reg);
    const auto c = f.http();
    auto handle = f.rt.trigger(review, json::object());
    json listed;
    REQUIRE(eventually([&] {
        listed = c.get("/api/v1/waitpoints?status=waiting&tag=review").json_body;
        return listed["waitpoints"].size() == 1 && handle.status() == taskkit::run_status::waiting;
    }));
    const auto id = listed["waitpoints"][0]["id"].get<std::string>();
    CHECK(listed["waitpoints"][0]["status"] == "waiting");
    CHECK(listed["waitpoints"][0]["tags"] == json::array({"review"}));
    auto one = c.get("/api/v1/waitpoints/" + id);
    REQUIRE(one.status == 200);
    CHECK(one.json_body["id"] == id);
    CHECK(one.json_body["data"].is_null());

    auto done = c.post("/api/v1/waitpoints/" + id + "/complete", json{{"data", {{"by", "ada"}}}});
    REQUIRE(done.status == 200);
    CHECK(done.json_body["completed"] == true);
    CHECK(done.json_body["waitpoint"]["status"] == "completed");
    REQUIRE(handle.wait_for(taskkit_test::deadline));
    CHECK(handle.get() == "ada");

    auto again = c.post("/api/v1/waitpoints/" + id + "/complete", json{{"data", {{"by", "bob"}}}});
    CHECK(again.status == 200);
    CHECK(again.json_body["completed"] == false);
    CHECK(again.json_body["waitpoint"]["data"]["by"] == "ada");
    CHECK(c.get("/api/v1/waitpoints?status=completed").json_body["waitpoints"].size() == 1);
    CHECK(c.get("/api/v1/waitpoints?status=waiting").json_body["waitpoints"].empty());
}

TEST_CASE("unknown, timed-out and badly completed waitpoint tokens are answered with their errors") {
    fixture f;
    const auto c = f.http();
    auto missing = c.post("/api/v1/waitpoints/waitpoint_nope/complete", json{{"data", 1}});
    CHECK(missing.status == 404);
    CHECK(missing.json_body["error"]["code"] == "unknown_token");
    CHECK(c.get("/api/v1/waitpoints/waitpoint_nope").status == 404);
    CHECK(c.get("/api/v1/waitpoints?status=sleeping").status == 400);
    CHECK(c.get("/api/v1/waitpoints?limit=0").status == 400);

    auto token = f.rt.create_token({.timeout = std::chrono::milliseconds(1)});
    REQUIRE(eventually([&] { return f.rt.token(token.id)->status == taskkit::token_status::timed_out; }));
    auto late = c.post("/api/v1/waitpoints/" + token.id + "/complete", json{{"data", 1}});
    CHECK(late.status == 409);
    CHECK(late.json_body["error"]["code"] == "token_timed_out");

    auto open = f.rt.create_token();
    CHECK(c.post("/api/v1/waitpoints/" + open.id + "/complete", json{{"value", 1}}).status == 400);  // unknown field
    CHECK(f.http("wrong-token").post("/api/v1/waitpoints/" + open.id + "/complete", json{{"data", 1}}).status == 401);
    CHECK(f.rt.token(open.id)->status == taskkit::token_status::waiting);
    auto empty = c.post("/api/v1/waitpoints/" + open.id + "/complete");  // no body: completed with null
    CHECK(empty.status == 200);
    CHECK(empty.json_body["completed"] == true);
}
