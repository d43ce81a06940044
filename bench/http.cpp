// bench_http: the HTTP server under load on loopback. Client threads (each with one keep-alive
// connection, or a new connection per request with --close) POST /api/v1/tasks/noop/trigger for a
// bounded time; the program reports the triggers per second the API accepted and the latency of
// POST /trigger (p50, p90, p99, p99.9, max), then the same for GET /api/v1/runs/{id}.
//
//   bench_http [--seconds S] [--clients N] [--workers W] [--close]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <httplib.h>

#include <fmt/format.h>

#include <taskkit/http.hpp>
#include <taskkit/taskkit.hpp>

namespace {

using clock_type = std::chrono::steady_clock;

struct result {
    std::size_t ok = 0;
    std::size_t failed = 0;
    std::vector<double> latencies_us;
};

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

template <class Request>
result load(int port, int clients, std::chrono::seconds duration, bool close, Request request) {
    std::vector<result> per(static_cast<std::size_t>(clients));
    std::vector<std::thread> threads;
    std::atomic<bool> go{false};
    const auto deadline_holder = std::make_shared<clock_type::time_point>();
    for (int i = 0; i < clients; ++i)
        threads.emplace_back([&, i] {
            auto& mine = per[static_cast<std::size_t>(i)];
            mine.latencies_us.reserve(1 << 18);
            httplib::Client c("127.0.0.1", port);
            c.set_keep_alive(!close);
            c.set_tcp_nodelay(true);  // as curl and browsers do: no Nagle delay between headers and body
            c.set_read_timeout(10);
            while (!go) std::this_thread::yield();
            std::size_t n = 0;
            while (clock_type::now() < *deadline_holder) {
                const auto start = clock_type::now();
                const bool ok = request(c, n++);
                const auto us = std::chrono::duration<double, std::micro>(clock_type::now() - start).count();
                if (ok) {
                    ++mine.ok;
                    mine.latencies_us.push_back(us);
                } else {
                    ++mine.failed;
                }
            }
        });
    *deadline_holder = clock_type::now() + duration;
    go = true;
    for (auto& t : threads) t.join();
    result all;
    for (auto& r : per) {
        all.ok += r.ok;
        all.failed += r.failed;
        all.latencies_us.insert(all.latencies_us.end(), r.latencies_us.begin(), r.latencies_us.end());
    }
    return all;
}

void report(std::string_view what, result r, std::chrono::seconds duration) {
    auto& v = r.latencies_us;
    const double rate = static_cast<double>(r.ok) / static_cast<double>(duration.count());
    const double p50 = percentile(v, 0.50);
    const double p90 = percentile(v, 0.90);
    const double p99 = percentile(v, 0.99);
    const double p999 = percentile(v, 0.999);
    const double max = v.empty() ? 0 : *std::max_element(v.begin(), v.end());
    fmt::print(
        "{:<28} {:>9.0f} req/s  p50 {:>7.0f} us  p90 {:>7.0f} us  p99 {:>7.0f} us  p99.9 {:>7.0f} us  max {:>7.0f} us  "
        "({} ok, {} failed)\n",
        what, rate, p50, p90, p99, p999, max, r.ok, r.failed);
}

}  // namespace

int main(int argc, char** argv) {
    int seconds = 5;
    int clients = 4;
    unsigned workers = 2;
    bool close = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--seconds" && i + 1 < argc) {
            seconds = std::max(1, std::atoi(argv[++i]));
        } else if (arg == "--clients" && i + 1 < argc) {
            clients = std::max(1, std::atoi(argv[++i]));
        } else if (arg == "--workers" && i + 1 < argc) {
            workers = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
        } else if (arg == "--close") {
            close = true;
        } else {
            fmt::print(stderr, "usage: {} [--seconds S] [--clients N] [--workers W] [--close]\n", argv[0]);
            return 2;
        }
    }
    taskkit::registry reg;
    taskkit::task<nlohmann::json> noop({.id = "noop", .run = [](const nlohmann::json&) {}}, reg);
    taskkit::runtime rt({.workers = workers, .registry = &reg, .log_sink = taskkit::null_log_sink()});
    taskkit::http::server srv(
        rt, {.port = 0, .token = "bench-token", .threads = static_cast<std::size_t>(clients) + 2, .max_streams = 1});
    srv.start();
    const httplib::Headers auth{{"Authorization", "Bearer bench-token"}};
    const auto duration = std::chrono::seconds(seconds);
    fmt::print("bench_http: {} client threads ({}), runtime with {} workers, {} s each, on {}\n", clients,
               close ? "a new connection per request" : "keep-alive", workers, seconds, srv.url());

    const std::string body = R"({"payload": {"user": "user_42", "n": 1}, "options": {"tags": ["bench"]}})";
    report("POST /api/v1/tasks/{id}/trigger",
           load(srv.port(), clients, duration, close,
                [&](httplib::Client& c, std::size_t) {
                    auto r = c.Post("/api/v1/tasks/noop/trigger", auth, body, "application/json");
                    return r && r->status == 202;
                }),
           duration);

    const auto some = rt.list({.limit = 1});
    const std::string run_path = "/api/v1/runs/" + (some.runs.empty() ? std::string("none") : some.runs[0].id);
    report("GET /api/v1/runs/{id}",
           load(srv.port(), clients, duration, close,
                [&](httplib::Client& c, std::size_t) {
                    auto r = c.Get(run_path.c_str(), auth);
                    return r && r->status == 200;
                }),
           duration);
    srv.stop();
    return 0;
}
