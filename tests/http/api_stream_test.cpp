// GET /api/v1/runs/stream: status changes as server-sent events, filtered, resumed with
// Last-Event-ID, told when it missed some, heartbeats, the stream limit, and stop ending it.
#include "http_test_support.hpp"

using namespace taskkit_http_test;
using taskkit_test::eventually;

namespace {

taskkit::http::server_options streaming() {
    return {.max_streams = 2, .event_buffer = 64, .heartbeat_interval = std::chrono::milliseconds(100)};
}

std::string trigger(const client& c, const std::string& task, const json& body = json::object()) {
    auto a = c.post("/api/v1/tasks/" + task + "/trigger", body);
    return a.status == 202 ? a.json_body["id"].get<std::string>() : std::string();
}

}  // namespace

TEST_CASE("the stream sends each status change with increasing ids") {
    taskkit::registry reg;
    taskkit::task<json> t({.id = "t", .run = [](const json&) {}}, reg);
    fixture f(reg, streaming());
    stream_reader stream(f.srv->port(), "/api/v1/runs/stream");
    REQUIRE(eventually([&] { return stream.contains(": connected"); }));
    const auto id = trigger(f.http(), "t");
    REQUIRE(eventually([&] { return stream.contains("\"status\":\"completed\""); }));
    const auto events = status_events(stream.text());
    REQUIRE(events.size() >= 3);  // queued, executing, completed
    std::uint64_t last = 0;
    std::vector<std::string> statuses;
    for (const auto& e : events) {
        CHECK(e["id"].get<std::uint64_t>() > last);
        last = e["id"].get<std::uint64_t>();
        CHECK(e["run_id"] == id);
        CHECK(e["task_id"] == "t");
        statuses.push_back(e["status"].get<std::string>());
    }
    CHECK(statuses.front() == "queued");
    CHECK(statuses.back() == "completed");
    CHECK(stream.text().find("id: " + std::to_string(last) + "\n") != std::string::npos);
    CHECK(stream.status() == 200);
    // Idle, it sends heartbeats.
    CHECK(eventually([&] { return stream.contains(": heartbeat"); }));
}

TEST_CASE("the stream filters by task, status and tag") {
    taskkit::registry reg;
    taskkit::task<json> a({.id = "a", .run = [](const json&) {}}, reg);
    taskkit::task<json> b({.id = "b", .run = [](const json&) {}}, reg);
    fixture f(reg, streaming());
    stream_reader by_task(f.srv->port(), "/api/v1/runs/stream?task=b&status=completed");
    stream_reader by_tag(f.srv->port(), "/api/v1/runs/stream?tag=vip");
    REQUIRE(eventually([&] { return by_task.contains(": connected") && by_tag.contains(": connected"); }));
    const auto c = f.http();
    (void)trigger(c, "a");
    const auto vip = trigger(c, "a", {{"options", {{"tags", {"vip"}}}}});
    const auto last = trigger(c, "b");
    REQUIRE(eventually([&] { return by_task.contains(last) && by_tag.contains("\"status\":\"completed\""); }));
    const auto task_events = status_events(by_task.text());
    REQUIRE(task_events.size() == 1);
    CHECK(task_events[0]["run_id"] == last);
    CHECK(task_events[0]["status"] == "completed");
    for (const auto& e : status_events(by_tag.text())) CHECK(e["run_id"] == vip);
}

TEST_CASE("Last-Event-ID resumes after an event still buffered, and a fallen-out id is told it missed some") {
    taskkit::registry reg;
    taskkit::task<json> t({.id = "t", .run = [](const json&) {}}, reg);
    fixture f(reg, streaming());  // 64 events buffered
    const auto c = f.http();
    std::uint64_t first_id = 0;
    {
        stream_reader stream(f.srv->port(), "/api/v1/runs/stream");
        REQUIRE(eventually([&] { return stream.contains(": connected"); }));
        const auto id = trigger(c, "t");
        REQUIRE(eventually([&] { return stream.contains("\"status\":\"completed\""); }));
        const auto events = status_events(stream.text());
        REQUIRE(events.size() >= 2);
        first_id = events.front()["id"].get<std::uint64_t>();
        CHECK(events.front()["run_id"] == id);
    }
    // Resume right after the first event: the rest of that run's changes come at once.
    {
        stream_reader resumed(
            f.srv->port(), "/api/v1/runs/stream",
            {{"Authorization", std::string("Bearer ") + test_token}, {"Last-Event-ID", std::to_string(first_id)}});
        REQUIRE(eventually([&] { return resumed.contains("\"status\":\"completed\""); }));
        const auto events = status_events(resumed.text());
        CHECK(events.front()["id"] == first_id + 1);
        CHECK(!resumed.contains("event: missed"));
    }
    // Push the first events out of the buffer of 64.
    std::vector<std::string> ids;
    for (int i = 0; i < 30; ++i) ids.push_back(trigger(c, "t"));
    REQUIRE(eventually([&] {
        for (const auto& id : ids)
            if (f.rt.retrieve(id)->status != taskkit::run_status::completed) return false;
        return true;
    }));
    {
        stream_reader late(f.srv->port(), "/api/v1/runs/stream?last_event_id=" + std::to_string(first_id),
                           {{"Authorization", std::string("Bearer ") + test_token}});
        REQUIRE(eventually([&] { return late.contains("event: missed") && !status_events(late.text()).empty(); }));
        CHECK(late.text().find("event: missed") < late.text().find("event: status"));
    }
    // An id the server never gave (from before a restart) is told too.
    {
        stream_reader future(f.srv->port(), "/api/v1/runs/stream?last_event_id=999999",
                             {{"Authorization", std::string("Bearer ") + test_token}});
        REQUIRE(eventually([&] { return future.contains("event: missed"); }));
    }
    CHECK(c.get("/api/v1/runs/stream?last_event_id=abc").status == 400);
}

TEST_CASE("the stream takes ?token=, refuses without it, and is bounded in number") {
    taskkit::registry reg;
    fixture f(reg, streaming());  // two streams at most
    stream_reader no_token(f.srv->port(), "/api/v1/runs/stream", {});
    REQUIRE(eventually([&] { return no_token.ended(); }));
    CHECK(no_token.status() == 401);
    stream_reader one(f.srv->port(), std::string("/api/v1/runs/stream?token=") + test_token, {});
    stream_reader two(f.srv->port(), "/api/v1/runs/stream");
    REQUIRE(eventually([&] { return one.contains(": connected") && two.contains(": connected"); }));
    auto third = f.http().get("/api/v1/runs/stream");
    CHECK(third.status == 503);
    CHECK(third.error_code() == "too_many_streams");
    // Other requests are still answered while the streams hold their threads.
    CHECK(f.http().get("/api/v1/tasks").status == 200);
}

TEST_CASE("stopping the server ends open streams promptly") {
    taskkit::registry reg;
    // A heartbeat far away: only the stop can end the stream.
    fixture f(reg, {.heartbeat_interval = std::chrono::minutes(10)});
    stream_reader stream(f.srv->port(), "/api/v1/runs/stream");
    REQUIRE(eventually([&] { return stream.contains(": connected"); }));
    const auto start = std::chrono::steady_clock::now();
    f.srv->stop();
    CHECK(eventually([&] { return stream.ended(); }, std::chrono::seconds(10)));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}
