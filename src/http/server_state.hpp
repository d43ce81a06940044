// The server's state and the parts its handlers share: the status-event buffer event streams read,
// the counters /metrics reports, and the route table. Internal to taskkit::http (src/http).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <taskkit/http/http_error.hpp>
#include <taskkit/http/server.hpp>
#include <taskkit/http/server_options.hpp>
#include <taskkit/runtime.hpp>

namespace taskkit::http::detail {

/// One status change, as event streams send it.
struct stream_event {
    std::uint64_t id = 0;
    std::string run_id;
    std::string task_id;
    run_status status = run_status::queued;
    int attempt = 0;
    std::int64_t time_ms = 0;  ///< when the server saw it, ms since the Unix epoch
};

/// The last status changes, with increasing ids, in a bounded buffer that event streams read and
/// wait on. Pushing (on the runtime's threads) takes one short lock.
class event_hub {
public:
    explicit event_hub(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

    void push(const status_event& e);

    struct read_result {
        std::vector<stream_event> events;  ///< the events after the asked id (at most `max`)
        bool missed = false;               ///< events after the asked id have left the buffer
        std::uint64_t oldest = 0;          ///< the oldest id still buffered (0: none)
    };
    /// The buffered events with ids greater than `after`, oldest first.
    [[nodiscard]] read_result read_after(std::uint64_t after, std::size_t max) const;

    /// Waits until an event with an id greater than `after` is buffered, the hub is closed, or
    /// `timeout` passes; returns whether such an event is there.
    bool wait(std::uint64_t after, std::chrono::milliseconds timeout) const;

    /// The id of the newest event (0: none yet).
    [[nodiscard]] std::uint64_t last_id() const;

    /// Wakes every waiter for good (the server is stopping).
    void close();
    [[nodiscard]] bool closed() const;

private:
    std::size_t capacity_;
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    std::deque<stream_event> events_;
    std::uint64_t next_id_ = 1;
    bool closed_ = false;
};

/// What GET /metrics reports, kept from the runtime's status events.
class metrics_state {
public:
    /// Seeds the runs that were unfinished before the server subscribed.
    void seed(const std::vector<run_record>& unfinished);
    void on_event(const status_event& e);
    /// Counts an answered request by status code.
    void count_request(int status);
    /// The Prometheus text exposition.
    [[nodiscard]] std::string render(runtime& rt) const;

private:
    struct live_run {
        std::string task;
        run_status status = run_status::queued;
        int attempt = 0;
        std::optional<std::chrono::steady_clock::time_point> attempt_started;
    };
    struct histogram {
        std::vector<std::uint64_t> buckets;  // cumulative counts are computed when rendering
        std::uint64_t count = 0;
        double sum = 0;
    };
    void observe(const std::string& task, double seconds);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, live_run> live_;  // unfinished runs, by id
    std::set<std::string> seen_;                      // ids with an event before seeding ended
    bool seeded_ = false;
    std::map<std::pair<std::string, std::string>, std::uint64_t> finished_;  // (task, status) → runs
    std::map<std::string, std::uint64_t> retries_;                           // task → retrying changes
    std::map<std::string, histogram> durations_;                             // task → attempt durations
    std::map<int, std::uint64_t> requests_;                                  // status → answers
};

class server_state;

/// Path parameters of a matched route, in template order.
using route_params = std::vector<std::string>;
using route_handler = void (*)(server_state&, const httplib::Request&, httplib::Response&, const route_params&);

/// One row of the route table: what the router dispatches on and the API description documents.
struct route_entry {
    route_info info;
    route_handler handler;
    bool json_body = false;  ///< reads a JSON body (415 for another content type)
};

/// The route table (one, shared by the router, the API description and its test).
[[nodiscard]] std::span<const route_entry> route_table() noexcept;

/// The OpenAPI 3.1 document describing every route of the table.
[[nodiscard]] nlohmann::json openapi_document();

/// A matched route and its path parameters.
struct route_match {
    const route_entry* route = nullptr;
    route_params params;
    std::vector<std::string_view> allowed;  ///< methods the path answers, when `route` is null
};
[[nodiscard]] route_match match_route(std::string_view method, std::string_view path);

class server_state {
public:
    server_state(runtime& r, server_options o) : rt(r), options(std::move(o)), events(options.event_buffer) {}

    /// Answers one request (every route, the dashboard and webhooks); never throws.
    void dispatch(const httplib::Request& req, httplib::Response& res);

    runtime& rt;
    server_options options;
    event_hub events;
    metrics_state metrics;
    subscription status_subscription;

    std::unique_ptr<httplib::Server> http;
    std::thread listener;
    std::atomic<int> bound_port{0};
    std::atomic<bool> is_running{false};
    std::atomic<bool> listener_done{false};
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> open_streams{0};
    std::mutex lifecycle;
    bool started = false;
    bool stopped = false;
};

// ------------------------------------------------------------------ helpers the handlers share

/// Writes `body` as the JSON answer.
void send_json(httplib::Response& res, int status, const nlohmann::json& body);

/// Takes one of the server's event-stream slots (server_options::max_streams): throws http_error
/// 503 too_many_streams when all are taken. The stream gives its slot back when it ends.
void reserve_event_stream(server_state& s);

/// Answers with server-sent events, written by `stream->pump(sink)` as the connection can take them.
template <class Stream>
void serve_event_stream(httplib::Response& res, std::shared_ptr<Stream> stream) {
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider("text/event-stream",
                                     [stream](std::size_t, httplib::DataSink& sink) { return stream->pump(sink); });
}

/// The request's body as JSON: an empty body is `fallback`; throws http_error bad_json.
[[nodiscard]] nlohmann::json parse_body(const httplib::Request& req, nlohmann::json fallback);

/// Whether the bearer token, the cookie or (for `allow_query`) `?token=` carries the server's token.
[[nodiscard]] bool authorized(const server_state& s, const httplib::Request& req, bool allow_query);

/// Compares two secrets in time that depends on neither's content nor length.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// Milliseconds since the Unix epoch, now.
[[nodiscard]] std::int64_t now_ms();

// The handlers (routes.cpp, stream.cpp, run_events.cpp).
void handle_openapi(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_health(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_list_tasks(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_get_task(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_trigger(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_list_runs(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_get_run(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_cancel_run(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_retry_run(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_replay_run(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_bulk_cancel(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_bulk_replay(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_stream(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_get_run_stream(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_run_events(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_list_queues(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_get_queue(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_pause_queue(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_resume_queue(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_set_concurrency(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_reset_concurrency(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_metrics(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_dashboard(server_state&, const httplib::Request&, httplib::Response&, const route_params&);
void handle_asset(server_state&, const httplib::Request&, httplib::Response&, const route_params&);

}  // namespace taskkit::http::detail
