// GET /metrics: the Prometheus text format, and the counts it reports.
#include <map>
#include <regex>
#include <sstream>

#include "http_test_support.hpp"

using namespace taskkit_http_test;
using taskkit_test::eventually;

namespace {

/// Parses the text format: every sample line is `name{labels} value`; returns samples by their
/// name with labels, and fails on a line that is neither a sample nor a comment.
std::map<std::string, double> parse_metrics(const std::string& text, std::vector<std::string>& bad) {
    static const std::regex sample(
        R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})?) (\S+)$)");
    std::map<std::string, double> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
        std::smatch m;
        if (!std::regex_match(line, m, sample)) {
            bad.push_back(line);
            continue;
        }
        const auto value = m[5].str();
        out[m[1].str()] = value == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(value);
    }
    return out;
}

}  // namespace

TEST_CASE("metrics count runs by task and status, attempts, retries, queues and workers") {
    using namespace std::chrono_literals;
    taskkit::registry reg;
    std::atomic<int> calls{0};
    taskkit::task<json> ok({.id = "ok", .queue = {.name = "q1", .concurrency_limit = 3}, .run = [](const json&) {}},
                           reg);
    taskkit::task<json> flaky({.id = "flaky",
                               .retry = {.max_attempts = 3, .min_timeout = 1ms, .randomize = false},
                               .run =
                                   [&](const json&) {
                                       if (calls++ == 0) throw std::runtime_error("once");
                                   }},
                              reg);
    fixture f(reg, {}, 2);
    const auto c = f.http();
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) ids.push_back(c.post("/api/v1/tasks/ok/trigger", json::object()).json_body["id"]);
    ids.push_back(c.post("/api/v1/tasks/flaky/trigger", json::object()).json_body["id"]);
    REQUIRE(eventually([&] {
        for (const auto& id : ids)
            if (f.rt.retrieve(id)->status != taskkit::run_status::completed) return false;
        return true;
    }));
    auto a = c.anonymous("GET", "/metrics");
    REQUIRE(a.status == 200);
    CHECK(a.header("Content-Type").find("text/plain") == 0);
    std::vector<std::string> bad;
    const auto m = parse_metrics(a.body, bad);
    CHECK(bad.empty());
    CHECK(m.at("taskkit_runs_finished_total{task=\"ok\",status=\"completed\"}") == 3);
    CHECK(m.at("taskkit_runs_finished_total{task=\"flaky\",status=\"completed\"}") == 1);
    CHECK(m.at("taskkit_retries_total{task=\"flaky\"}") == 1);
    CHECK(m.at("taskkit_attempt_duration_seconds_count{task=\"ok\"}") == 3);
    CHECK(m.at("taskkit_attempt_duration_seconds_count{task=\"flaky\"}") == 2);
    CHECK(m.at("taskkit_attempt_duration_seconds_bucket{task=\"ok\",le=\"+Inf\"}") == 3);
    CHECK(m.at("taskkit_attempt_duration_seconds_bucket{task=\"ok\",le=\"300\"}") == 3);
    CHECK(m.at("taskkit_queue_limit{queue=\"q1\"}") == 3);
    CHECK(m.at("taskkit_queue_queued{queue=\"q1\"}") == 0);
    CHECK(m.at("taskkit_queue_paused{queue=\"q1\"}") == 0);
    CHECK(m.at("taskkit_worker_threads{state=\"busy\"}") + m.at("taskkit_worker_threads{state=\"idle\"}") == 2);
    CHECK(m.count("taskkit_http_requests_total{code=\"202\"}") == 1);
    // Buckets are cumulative.
    double previous = 0;
    for (const auto* le : {"0.001", "0.005", "0.01", "0.1", "1", "10", "300", "+Inf"}) {
        const auto v = m.at(std::string("taskkit_attempt_duration_seconds_bucket{task=\"ok\",le=\"") + le + "\"}");
        CHECK(v >= previous);
        previous = v;
    }
}

TEST_CASE("metrics count unfinished runs, those from before the server started included") {
    taskkit::registry reg;
    taskkit::task<json> blocks(
        {.id = "blocks",
         .queue = {.concurrency_limit = 1},
         .run = [](const json&, taskkit::run_context& ctx) { taskkit_test::wait_for_stop(ctx); }},
        reg);
    taskkit::runtime rt(taskkit_test::options(reg, 2));
    auto first = rt.trigger(blocks, json(1));
    auto second = rt.trigger(blocks, json(2));
    REQUIRE(eventually([&] { return first.snapshot().status == taskkit::run_status::executing; }));
    taskkit::http::server srv(rt, {.port = 0, .token = test_token});
    srv.start();
    std::vector<std::string> bad;
    auto m = parse_metrics(client(srv.port()).get("/metrics").body, bad);
    CHECK(bad.empty());
    CHECK(m["taskkit_runs{task=\"blocks\",status=\"executing\"}"] == 1);
    CHECK(m["taskkit_runs{task=\"blocks\",status=\"queued\"}"] == 1);
    CHECK(m["taskkit_worker_threads{state=\"busy\"}"] == 1);
    CHECK(m["taskkit_queue_queued{queue=\"blocks\"}"] == 1);
    rt.cancel(first.id());
    rt.cancel(second.id());
    REQUIRE(eventually([&] {
        auto now = parse_metrics(client(srv.port()).get("/metrics").body, bad);
        return now["taskkit_runs_finished_total{task=\"blocks\",status=\"canceled\"}"] == 2 &&
               now.count("taskkit_runs{task=\"blocks\",status=\"executing\"}") == 0;
    }));
}
