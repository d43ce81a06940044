// The runs API over HTTP: listing with filters and paging, one run with its parent and children,
// cancel, retry, replay (with an edited payload), and bulk cancel and replay.
#include <set>

#include "http_test_support.hpp"

using namespace taskkit_http_test;
using taskkit_test::eventually;

namespace {

bool reaches(taskkit::runtime& rt, const std::string& id, taskkit::run_status s) {
    return eventually([&] {
        auto r = rt.retrieve(id);
        return r && r->status == s;
    });
}

std::string trigger(const client& c, const std::string& task, const json& body) {
    auto a = c.post("/api/v1/tasks/" + task + "/trigger", body);
    return a.status == 202 ? a.json_body["id"].get<std::string>() : std::string();
}

}  // namespace

TEST_CASE("GET /api/v1/runs filters by status, task and tag, and pages with a cursor") {
    taskkit::registry reg;
    taskkit::task<json> a({.id = "a", .run = [](const json&) {}}, reg);
    taskkit::task<json> b({.id = "b", .run = [](const json&) { throw taskkit::abort_run("no"); }}, reg);
    fixture f(reg);
    const auto c = f.http();
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(trigger(c, "a", {{"payload", i}, {"options", {{"tags", {"even"}}}}}));
    const auto failed = trigger(c, "b", {{"payload", 0}});
    for (const auto& id : ids) REQUIRE(reaches(f.rt, id, taskkit::run_status::completed));
    REQUIRE(reaches(f.rt, failed, taskkit::run_status::failed));

    auto all = c.get("/api/v1/runs");
    REQUIRE(all.status == 200);
    CHECK(all.json_body["runs"].size() == 6);
    CHECK(all.json_body["next_cursor"].is_null());
    CHECK(!all.json_body["runs"][0].contains("logs"));

    auto by_status = c.get("/api/v1/runs?status=failed");
    REQUIRE(by_status.json_body["runs"].size() == 1);
    CHECK(by_status.json_body["runs"][0]["id"] == failed);
    CHECK(c.get("/api/v1/runs?status=failed,completed").json_body["runs"].size() == 6);
    CHECK(c.get("/api/v1/runs?status=failed&status=completed").json_body["runs"].size() == 6);
    CHECK(c.get("/api/v1/runs?task=a").json_body["runs"].size() == 5);
    CHECK(c.get("/api/v1/runs?tag=even").json_body["runs"].size() == 5);
    CHECK(c.get("/api/v1/runs?tag=even&task=b").json_body["runs"].empty());
    CHECK(c.get("/api/v1/runs?created_from=2000-01-01T00:00:00Z").json_body["runs"].size() == 6);
    CHECK(c.get("/api/v1/runs?created_to=946684800000").json_body["runs"].empty());

    // Pages of two, newest first, every run once.
    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
        auto page = c.get("/api/v1/runs?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
        REQUIRE(page.status == 200);
        for (const auto& r : page.json_body["runs"]) CHECK(seen.insert(r["id"].get<std::string>()).second);
        cursor = page.json_body["next_cursor"].is_null() ? "" : page.json_body["next_cursor"].get<std::string>();
        ++pages;
    } while (!cursor.empty() && pages < 10);
    CHECK(seen.size() == 6);
    CHECK(pages == 3);

    CHECK(c.get("/api/v1/runs?status=nope").status == 400);
    CHECK(c.get("/api/v1/runs?limit=0").status == 400);
    CHECK(c.get("/api/v1/runs?limit=501").status == 400);
    CHECK(c.get("/api/v1/runs?colour=red").status == 400);
    CHECK(c.get("/api/v1/runs?created_from=yesterday").status == 400);
}

TEST_CASE("GET /api/v1/runs/{id} has the record, logs, parent and children") {
    taskkit::registry reg;
    taskkit::task<json, int> child({.id = "child",
                                    .run =
                                        [](const json&, taskkit::run_context& ctx) {
                                            ctx.logger().info("child here");
                                            return 7;
                                        }},
                                   reg);
    taskkit::task<json, int> parent(
        {.id = "parent", .run = [&](const json&) { return child.trigger_and_wait(json(nullptr)).output(); }}, reg);
    fixture f(reg);
    const auto c = f.http();
    const auto id = trigger(c, "parent", json::object());
    REQUIRE(reaches(f.rt, id, taskkit::run_status::completed));
    auto p = c.get("/api/v1/runs/" + id);
    REQUIRE(p.status == 200);
    CHECK(p.json_body["run"]["output"] == 7);
    CHECK(p.json_body["parent"].is_null());
    REQUIRE(p.json_body["children"].size() == 1);
    CHECK(p.json_body["children"][0]["task_id"] == "child");
    CHECK(p.json_body["children"][0]["status"] == "completed");
    const auto child_id = p.json_body["children"][0]["id"].get<std::string>();
    auto ch = c.get("/api/v1/runs/" + child_id);
    REQUIRE(ch.status == 200);
    CHECK(ch.json_body["parent"]["id"] == id);
    CHECK(ch.json_body["parent"]["task_id"] == "parent");
    REQUIRE(!ch.json_body["run"]["logs"].empty());
    CHECK(ch.json_body["run"]["logs"][0]["message"] == "child here");
    CHECK(ch.json_body["run"]["attempts"].size() == 1);

    auto missing = c.get("/api/v1/runs/run_nope");
    CHECK(missing.status == 404);
    CHECK(missing.error_code() == "unknown_run");
}

TEST_CASE("cancel, retry and replay one run") {
    taskkit::registry reg;
    std::atomic<int> flaky_calls{0};
    taskkit::task<json> blocks(
        {.id = "blocks", .run = [](const json&, taskkit::run_context& ctx) { taskkit_test::wait_for_stop(ctx); }}, reg);
    taskkit::task<json, int> flaky({.id = "flaky",
                                    .retry = {.max_attempts = 1},
                                    .run =
                                        [&](const json& p) {
                                            if (flaky_calls++ == 0) throw std::runtime_error("first time");
                                            return p.value("n", 0);
                                        }},
                                   reg);
    fixture f(reg);
    const auto c = f.http();

    SECTION("cancel") {
        const auto id = trigger(c, "blocks", json::object());
        REQUIRE(reaches(f.rt, id, taskkit::run_status::executing));
        auto a = c.post("/api/v1/runs/" + id + "/cancel");
        CHECK(a.status == 200);
        CHECK(a.json_body["id"] == id);
        REQUIRE(reaches(f.rt, id, taskkit::run_status::canceled));
        auto again = c.post("/api/v1/runs/" + id + "/cancel");
        CHECK(again.status == 409);
        CHECK(again.error_code() == "state_conflict");
        CHECK(c.post("/api/v1/runs/run_nope/cancel").status == 404);
    }
    SECTION("retry a failed run, and not a completed one") {
        const auto id = trigger(c, "flaky", json{{"payload", {{"n", 5}}}});
        REQUIRE(reaches(f.rt, id, taskkit::run_status::failed));
        auto a = c.post("/api/v1/runs/" + id + "/retry");
        CHECK(a.status == 202);
        REQUIRE(reaches(f.rt, id, taskkit::run_status::completed));
        CHECK(f.rt.retrieve(id)->output == 5);
        auto again = c.post("/api/v1/runs/" + id + "/retry");
        CHECK(again.status == 409);
        CHECK(again.error_code() == "state_conflict");
        CHECK(c.post("/api/v1/runs/run_nope/retry").error_code() == "unknown_run");
    }
    SECTION("replay with the same payload, and with an edited one") {
        flaky_calls = 1;  // no more failures
        const auto id = trigger(c, "flaky", json{{"payload", {{"n", 1}}}, {"options", {{"tags", {"orig"}}}}});
        REQUIRE(reaches(f.rt, id, taskkit::run_status::completed));
        auto same = c.post("/api/v1/runs/" + id + "/replay");
        REQUIRE(same.status == 202);
        CHECK(same.json_body["replay_of"] == id);
        const auto same_id = same.json_body["id"].get<std::string>();
        CHECK(same_id != id);
        REQUIRE(reaches(f.rt, same_id, taskkit::run_status::completed));
        CHECK(f.rt.retrieve(same_id)->output == 1);
        auto edited = c.post("/api/v1/runs/" + id + "/replay", json{{"payload", {{"n", 9}}}});
        REQUIRE(edited.status == 202);
        const auto edited_id = edited.json_body["id"].get<std::string>();
        REQUIRE(reaches(f.rt, edited_id, taskkit::run_status::completed));
        CHECK(f.rt.retrieve(edited_id)->output == 9);
        CHECK(f.rt.retrieve(edited_id)->tags == std::vector<std::string>{"orig"});
        CHECK(c.post("/api/v1/runs/" + id + "/replay", json{{"payloads", 1}}).status == 400);
        CHECK(c.post("/api/v1/runs/run_nope/replay").error_code() == "unknown_run");
    }
}

TEST_CASE("bulk cancel and replay act on every match of a filter, or on ids, within a limit") {
    taskkit::registry reg;
    taskkit::task<json> blocks(
        {.id = "blocks",
         .queue = {.concurrency_limit = 1},
         .run = [](const json&, taskkit::run_context& ctx) { taskkit_test::wait_for_stop(ctx); }},
        reg);
    taskkit::task<json, int> quick({.id = "quick", .run = [](const json& p) { return p.get<int>(); }}, reg);
    fixture f(reg);
    const auto c = f.http();

    SECTION("cancel by filter") {
        std::vector<std::string> ids;
        for (int i = 0; i < 7; ++i) ids.push_back(trigger(c, "blocks", {{"options", {{"tags", {"batch-1"}}}}}));
        const auto other = trigger(c, "blocks", {{"options", {{"tags", {"batch-2"}}}}});
        auto a = c.post("/api/v1/runs/cancel", json{{"filter", {{"tag", "batch-1"}}}});
        REQUIRE(a.status == 200);
        CHECK(a.json_body["matched"] == 7);
        CHECK(a.json_body["canceled"] == 7);
        CHECK(a.json_body["truncated"] == false);
        for (const auto& id : ids) CHECK(reaches(f.rt, id, taskkit::run_status::canceled));
        CHECK(!taskkit::is_terminal(f.rt.retrieve(other)->status));
        // Nothing unfinished matches any more.
        CHECK(c.post("/api/v1/runs/cancel", json{{"filter", {{"tag", "batch-1"}}}}).json_body["matched"] == 0);
        // Only ended statuses asked for: nothing to cancel.
        CHECK(c.post("/api/v1/runs/cancel", json{{"filter", {{"status", "completed"}}}}).json_body["matched"] == 0);
        CHECK(c.post("/api/v1/runs/cancel", json{{"ids", {other}}}).json_body["canceled"] == 1);
    }
    SECTION("a limit truncates, and the next request goes on") {
        for (int i = 0; i < 5; ++i) (void)trigger(c, "blocks", {{"options", {{"tags", {"many"}}}}});
        auto first = c.post("/api/v1/runs/cancel", json{{"filter", {{"tag", "many"}}}, {"limit", 3}});
        CHECK(first.json_body["matched"] == 3);
        CHECK(first.json_body["truncated"] == true);
        auto rest = c.post("/api/v1/runs/cancel", json{{"filter", {{"tag", "many"}}}, {"limit", 3}});
        CHECK(rest.json_body["matched"] == 2);
        CHECK(rest.json_body["truncated"] == false);
    }
    SECTION("replay by filter and by ids") {
        std::vector<std::string> ids;
        for (int i = 0; i < 3; ++i) ids.push_back(trigger(c, "quick", {{"payload", i}}));
        for (const auto& id : ids) REQUIRE(reaches(f.rt, id, taskkit::run_status::completed));
        auto a = c.post("/api/v1/runs/replay", json{{"filter", {{"task", {"quick"}}, {"status", "completed"}}}});
        REQUIRE(a.status == 200);
        CHECK(a.json_body["matched"] == 3);
        CHECK(a.json_body["replayed"] == 3);
        CHECK(a.json_body["failed"].empty());
        for (const auto& r : a.json_body["runs"]) {
            const auto id = r["id"].get<std::string>();
            REQUIRE(reaches(f.rt, id, taskkit::run_status::completed));
            CHECK(f.rt.retrieve(id)->output == f.rt.retrieve(r["replay_of"].get<std::string>())->output);
        }
        auto by_ids = c.post("/api/v1/runs/replay", json{{"ids", {ids[0], "run_nope"}}});
        CHECK(by_ids.json_body["matched"] == 1);
        CHECK(by_ids.json_body["replayed"] == 1);
    }
    SECTION("selections that are refused") {
        CHECK(c.post("/api/v1/runs/cancel", json::object()).status == 400);                    // neither
        CHECK(c.post("/api/v1/runs/cancel", json{{"filter", json::object()}}).status == 400);  // everything
        CHECK(c.post("/api/v1/runs/cancel", json{{"filter", {{"x", 1}}}}).status == 400);      // unknown field
        CHECK(c.post("/api/v1/runs/cancel", json{{"ids", {1}}}).status == 400);                // not strings
        CHECK(c.post("/api/v1/runs/cancel", json{{"ids", json::array()}, {"filter", {{"task", "a"}}}}).status == 400);
        CHECK(c.post("/api/v1/runs/replay", json{{"filter", {{"task", "a"}}}, {"limit", 0}}).status == 400);
        CHECK(c.post("/api/v1/runs/replay", json{{"filter", {{"task", "a"}}}, {"limit", 1e9}}).status == 400);
        CHECK(c.post("/api/v1/runs/replay", json{{"filter", {{"status", "nope"}}}}).status == 400);
    }
    // Leave nothing blocked for the runtime's shutdown.
    auto left = c.post("/api/v1/runs/cancel", json{{"filter", {{"task", "blocks"}}}});
    CHECK(left.status == 200);
}
