// A run's realtime view over HTTP: waiting_for, metadata and streams on the run JSON; one stream
// through GET /api/v1/runs/{id}/streams/{name}; the per-run event stream (its state first, then
// status, metadata and stream chunks, ending after the terminal status); the `batch` filter of
// the list and of /api/v1/runs/stream; hostile inputs (unknown runs, bad names, odd queries).
#include <string>
#include <vector>

#include "http_test_support.hpp"

using namespace taskkit_http_test;
using taskkit::run_status;
using taskkit_test::eventually;

namespace {

taskkit::http::server_options streaming() {
    return {.max_streams = 3, .event_buffer = 256, .heartbeat_interval = std::chrono::milliseconds(100)};
}

struct gates {
    std::string first;
    std::string second;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(gates, first, second)

/// Waits on `first`, then writes a chunk and a metadata key, waits on `second`, writes another
/// chunk and completes.
struct staged_task {
    taskkit::task<gates, std::string> task;
    explicit staged_task(taskkit::registry& reg)
        : task({.id = "staged",
                .run =
                    [](const gates& g, taskkit::run_context& ctx) {
                        ctx.stream("out").append({{"n", 0}});
                        (void)ctx.wait_for_token<json>(g.first);
                        ctx.stream("out").append({{"n", 1}});
                        ctx.metadata().set("progress", 50);
                        (void)ctx.wait_for_token<json>(g.second);
                        ctx.stream("out").append({{"n", 2}});
                        return std::string("done");
                    }},
               reg) {}
};

/// The data of the stream's events named `name`, in order.
std::vector<json> events_named(const std::string& text, const std::string& name) {
    std::vector<json> out;
    const std::string head = "event: " + name + "\ndata: ";
    std::size_t at = 0;
    while ((at = text.find(head, at)) != std::string::npos) {
        at += head.size();
        const auto end = text.find('\n', at);
        if (end == std::string::npos) break;
        out.push_back(json::parse(text.substr(at, end - at), nullptr, false));
        at = end;
    }
    return out;
}

bool waiting_on(taskkit::runtime& rt, const std::string& id, const std::string& token) {
    auto r = rt.retrieve(id);
    return r && r->status == run_status::waiting && r->waiting_for && r->waiting_for->token_id == token;
}

}  // namespace

TEST_CASE("the run JSON carries waiting_for, metadata and streams, and waiting_for is null once it resumes") {
    taskkit::registry reg;
    staged_task staged(reg);
    fixture f(reg);
    const auto c = f.http();
    const gates g{f.rt.create_token({}).id, f.rt.create_token({}).id};
    auto h = f.rt.trigger(staged.task, g);
    REQUIRE(eventually([&] { return waiting_on(f.rt, h.id(), g.first); }));

    auto a = c.get("/api/v1/runs/" + h.id());
    REQUIRE(a.status == 200);
    const auto& run = a.json_body["run"];
    CHECK(run["status"] == "waiting");
    CHECK(run["waiting_for"]["kind"] == "token");
    CHECK(run["waiting_for"]["token_id"] == g.first);
    CHECK(run["waiting_for"]["until"].is_null());
    CHECK(run["waiting_for"]["batch_id"].is_null());
    CHECK(run["waiting_for"]["run_ids"] == json::array());
    CHECK(run["waiting_for"]["any"] == false);
    CHECK(run["streams"]["out"]["chunks"] == json::array({{{"n", 0}}}));
    CHECK(run["streams"]["out"]["dropped"] == 0);
    CHECK(run["metadata"] == json::object());
    // The list carries the same.
    a = c.get("/api/v1/runs?task=staged");
    REQUIRE(a.status == 200);
    REQUIRE(a.json_body["runs"].size() == 1);
    CHECK(a.json_body["runs"][0]["waiting_for"]["token_id"] == g.first);
    CHECK(a.json_body["runs"][0]["streams"]["out"]["chunks"].size() == 1);

    // Completed through the API: the run moves on to its second wait.
    REQUIRE(c.post("/api/v1/waitpoints/" + g.first + "/complete", json{{"data", true}}).status == 200);
    REQUIRE(eventually([&] { return waiting_on(f.rt, h.id(), g.second); }));
    a = c.get("/api/v1/runs/" + h.id());
    CHECK(a.json_body["run"]["waiting_for"]["token_id"] == g.second);
    CHECK(a.json_body["run"]["metadata"] == json{{"progress", 50}});
    CHECK(a.json_body["run"]["streams"]["out"]["chunks"].size() == 2);

    REQUIRE(c.post("/api/v1/waitpoints/" + g.second + "/complete").status == 200);
    REQUIRE(h.wait_for(taskkit_test::deadline));
    a = c.get("/api/v1/runs/" + h.id());
    CHECK(a.json_body["run"]["status"] == "completed");
    CHECK(a.json_body["run"]["waiting_for"].is_null());
    CHECK(a.json_body["run"]["streams"]["out"]["chunks"].size() == 3);
}

TEST_CASE("GET /api/v1/runs/{id}/streams/{name} answers one stream, 404 for an unknown run, 400 for a bad name") {
    taskkit::registry reg;
    taskkit::task<int> writer({.id = "writer",
                               .run =
                                   [](const int& n, taskkit::run_context& ctx) {
                                       for (int i = 0; i < n; ++i)
                                           ctx.stream("tokens:llm").append("t" + std::to_string(i));
                                   }},
                              reg);
    fixture f(reg);
    const auto c = f.http();
    auto h = f.rt.trigger(writer, 3);
    REQUIRE(h.wait_for(taskkit_test::deadline));
    auto a = c.get("/api/v1/runs/" + h.id() + "/streams/tokens:llm");
    REQUIRE(a.status == 200);
    CHECK(a.json_body["run_id"] == h.id());
    CHECK(a.json_body["name"] == "tokens:llm");
    CHECK(a.json_body["chunks"] == json::array({"t0", "t1", "t2"}));
    CHECK(a.json_body["dropped"] == 0);
    // A stream the run has not written is empty.
    a = c.get("/api/v1/runs/" + h.id() + "/streams/never");
    REQUIRE(a.status == 200);
    CHECK(a.json_body["chunks"] == json::array());
    CHECK(a.json_body["dropped"] == 0);
    // Hostile inputs.
    CHECK(c.get("/api/v1/runs/run_nope/streams/tokens").status == 404);
    CHECK(c.get("/api/v1/runs/run_nope/streams/tokens").error_code() == "unknown_run");
    CHECK(c.get("/api/v1/runs/" + std::string(5000, 'r') + "/streams/tokens").status == 404);
    const std::vector<std::string> bad_names{"bad%20name", std::string(65, 'a'), "%00", "%E2%9C%93", "semi;colon"};
    for (const auto& bad : bad_names) {
        INFO(bad);
        a = c.get("/api/v1/runs/" + h.id() + "/streams/" + bad);
        CHECK(a.status == 400);
        CHECK(a.error_code() == "validation_failed");
    }
    CHECK(c.get("/api/v1/runs/" + h.id() + "/streams/").status == 404);       // no name: no route
    CHECK(c.get("/api/v1/runs/" + h.id() + "/streams/a%2Fb").status == 404);  // decoded to a/b: no route
    CHECK(c.anonymous("GET", "/api/v1/runs/" + h.id() + "/streams/tokens").status == 401);
}

TEST_CASE("GET /api/v1/runs/{id}/events sends the run's state, then each update, and ends after its terminal status") {
    taskkit::registry reg;
    staged_task staged(reg);
    fixture f(reg, streaming());
    const auto c = f.http();
    const gates g{f.rt.create_token({}).id, f.rt.create_token({}).id};
    auto h = f.rt.trigger(staged.task, g);
    REQUIRE(eventually([&] { return waiting_on(f.rt, h.id(), g.first); }));

    stream_reader events(f.srv->port(), "/api/v1/runs/" + h.id() + "/events");
    REQUIRE(eventually([&] { return events.contains("event: run\n"); }));
    CHECK(events.status() == 200);
    auto state = events_named(events.text(), "run");
    REQUIRE(state.size() == 1);
    CHECK(state[0]["id"] == h.id());
    CHECK(state[0]["status"] == "waiting");
    CHECK(state[0]["waiting_for"]["token_id"] == g.first);
    CHECK(state[0]["streams"]["out"]["chunks"] == json::array({{{"n", 0}}}));
    CHECK_FALSE(state[0].contains("logs"));

    REQUIRE(c.post("/api/v1/waitpoints/" + g.first + "/complete").status == 200);
    REQUIRE(eventually([&] {
        for (const auto& e : events_named(events.text(), "status"))
            if (e["status"] == "waiting" && e["waiting_for"].is_object()) return true;
        return false;
    }));
    auto chunks = events_named(events.text(), "stream");
    REQUIRE(chunks.size() == 1);
    CHECK(chunks[0]["stream"] == "out");
    CHECK(chunks[0]["index"] == 1);  // chunk 0 came with the state, and is not sent again
    CHECK(chunks[0]["chunk"] == json{{"n", 1}});
    const auto metadata = events_named(events.text(), "metadata");
    REQUIRE(metadata.size() == 1);
    CHECK(metadata[0]["metadata"] == json{{"progress", 50}});
    CHECK(metadata[0]["change"]["operation"] == "set");
    CHECK(metadata[0]["change"]["key"] == "progress");
    const auto statuses = events_named(events.text(), "status");
    REQUIRE(statuses.size() >= 2);
    CHECK(statuses.front()["status"] == "executing");
    CHECK(statuses.front()["waiting_for"].is_null());
    CHECK(statuses.back()["waiting_for"]["kind"] == "token");
    CHECK(statuses.back()["waiting_for"]["token_id"] == g.second);
    // In order: the chunk before the metadata, both before the second wait.
    const auto text = events.text();
    CHECK(text.find("event: stream") < text.find("event: metadata"));
    CHECK(text.find("event: metadata") < text.rfind("event: status"));

    REQUIRE(c.post("/api/v1/waitpoints/" + g.second + "/complete").status == 200);
    REQUIRE(eventually([&] { return events.ended(); }));
    const auto end = events_named(events.text(), "end");
    REQUIRE(end.size() == 1);
    CHECK(end[0]["status"] == "completed");
    CHECK(events_named(events.text(), "status").back()["status"] == "completed");
    CHECK(events_named(events.text(), "stream").back()["index"] == 2);
    CHECK(events.text().rfind("event: end") > events.text().rfind("event: status"));
}

TEST_CASE("the per-run events of an ended run are its state and end, an unknown run is 404, a token is needed") {
    taskkit::registry reg;
    taskkit::task<int> quick({.id = "quick", .run = [](const int&) {}}, reg);
    fixture f(reg, streaming());
    const auto c = f.http();
    auto h = f.rt.trigger(quick, 1);
    REQUIRE(h.wait_for(taskkit_test::deadline));
    {
        stream_reader done(f.srv->port(), "/api/v1/runs/" + h.id() + "/events");
        REQUIRE(eventually([&] { return done.ended(); }));
        CHECK(events_named(done.text(), "run").size() == 1);
        CHECK(events_named(done.text(), "end").at(0)["status"] == "completed");
    }
    auto a = c.get("/api/v1/runs/run_nope/events");
    CHECK(a.status == 404);
    CHECK(a.error_code() == "unknown_run");
    CHECK(c.get("/api/v1/runs/" + std::string(10000, 'x') + "/events").status == 414);  // refused before routing
    // ?token= signs an EventSource in; without any token it is refused.
    {
        stream_reader by_query(f.srv->port(), "/api/v1/runs/" + h.id() + "/events?token=" + test_token, {});
        REQUIRE(eventually([&] { return by_query.ended(); }));
        CHECK(by_query.status() == 200);
    }
    CHECK(c.anonymous("GET", "/api/v1/runs/" + h.id() + "/events").status == 401);
}

TEST_CASE("the batch filter lists and streams the runs of one batch, and refuses odd values") {
    taskkit::registry reg;
    taskkit::task<std::string> item({.id = "item",
                                     .run =
                                         [](const std::string& token, taskkit::run_context& ctx) {
                                             if (!token.empty()) (void)ctx.wait_for_token<json>(token);
                                         }},
                                    reg);
    fixture f(reg, streaming());
    const auto c = f.http();
    const auto gate = f.rt.create_token({}).id;
    auto batch = f.rt.batch_trigger(item, {gate, gate, gate});
    // Followed from here: the batch's runs end after the stream is open, a loose run meanwhile too.
    stream_reader by_batch(f.srv->port(), "/api/v1/runs/stream?batch=" + batch.id);
    REQUIRE(eventually([&] { return by_batch.contains(": connected"); }));
    auto loose = f.rt.trigger(item, std::string());
    REQUIRE(loose.wait_for(taskkit_test::deadline));
    REQUIRE(c.post("/api/v1/waitpoints/" + gate + "/complete").status == 200);
    for (auto& run : batch.runs) REQUIRE(run.wait_for(taskkit_test::deadline));
    REQUIRE(eventually([&] {
        int completed = 0;
        for (const auto& e : status_events(by_batch.text())) completed += e["status"] == "completed" ? 1 : 0;
        return completed == 3;
    }));
    for (const auto& e : status_events(by_batch.text())) CHECK(e["run_id"] != loose.id());

    auto a = c.get("/api/v1/runs?batch=" + batch.id);
    REQUIRE(a.status == 200);
    REQUIRE(a.json_body["runs"].size() == 3);
    for (const auto& r : a.json_body["runs"]) CHECK(r["batch_id"] == batch.id);
    CHECK(c.get("/api/v1/runs?batch=batch_none").json_body["runs"].empty());
    CHECK(c.get("/api/v1/runs?batch=" + batch.id + "&limit=2").json_body["runs"].size() == 2);
    // Odd values: empty, too long, huge limits, unknown parameters.
    for (const std::string& q :
         {std::string("batch="), "batch=" + std::string(300, 'b'), std::string("limit=99999999999999999999"),
          std::string("limit=-1"), std::string("limit=abc"), "batch=" + batch.id + "&bogus=1",
          std::string("created_from=not-a-time"), std::string("status=nope")}) {
        INFO(q);
        a = c.get("/api/v1/runs?" + q);
        CHECK(a.status == 400);
        CHECK(a.error_code() == "validation_failed");
    }
    CHECK(c.get("/api/v1/runs/stream?batch=").status == 400);
    CHECK(c.get("/api/v1/runs/stream?batch=" + std::string(100000, 'b')).status >= 400);
    CHECK(c.post("/api/v1/runs/cancel", json{{"filter", {{"batch", 7}}}}).status == 400);
    // A bulk cancel by batch is a filter (not an empty one); its runs have all ended: none is selected.
    a = c.post("/api/v1/runs/cancel", json{{"filter", {{"batch", batch.id}}}});
    REQUIRE(a.status == 200);
    CHECK(a.json_body["matched"] == 0);
}
