// GET /api/v1/runs/stream: server-sent events of status changes, from the server's event buffer.
#include <charconv>
#include <unordered_map>

#include <fmt/format.h>

#include "http/codec.hpp"
#include "http/server_state.hpp"

namespace taskkit::http::detail {

namespace {

/// One open stream: where it is in the buffer, what it wants, and its place among the open streams
/// (given back when the response, and with it this object, is destroyed).
class event_stream {
public:
    event_stream(server_state& s, run_filter filter, std::uint64_t after, bool resumed)
        : s_(s), filter_(std::move(filter)), cursor_(after), resumed_(resumed) {
        filter_.limit = 0;
        filter_.cursor.clear();
        needs_facts_ = !filter_.tags.empty() || !filter_.queue.empty() || !filter_.batch_id.empty() ||
                       filter_.created_from || filter_.created_to;
    }
    event_stream(const event_stream&) = delete;
    event_stream& operator=(const event_stream&) = delete;
    ~event_stream() { --s_.open_streams; }

    /// Writes what is new (or a heartbeat); false ends the stream.
    bool pump(httplib::DataSink& sink) {
        if (s_.stopping) return false;
        std::string out;
        if (first_) {
            first_ = false;
            out += "retry: 2000\n: connected\n\n";
            if (resumed_ && cursor_ > s_.events.last_id()) {
                // An id from before a restart of the server, or not one it gave.
                out += missed(cursor_, 0);
                cursor_ = s_.events.last_id();
            }
        }
        auto batch = s_.events.read_after(cursor_, 256);
        if (batch.missed) {
            out += missed(cursor_, batch.oldest);
            cursor_ = batch.oldest == 0 ? s_.events.last_id() : batch.oldest - 1;
        }
        for (const auto& e : batch.events) {
            cursor_ = e.id;
            if (!wanted(e)) continue;
            nlohmann::json data(nlohmann::json::value_t::object);
            data["id"] = e.id;
            data["run_id"] = e.run_id;
            data["task_id"] = e.task_id;
            data["status"] = to_string(e.status);
            data["attempt"] = e.attempt;
            data["time"] = e.time_ms;
            out += fmt::format("id: {}\nevent: status\ndata: {}\n\n", e.id,
                               data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        }
        const auto now = std::chrono::steady_clock::now();
        if (out.empty() && batch.events.empty()) {
            // Nothing new: wait for an event, the server's stop, or the next heartbeat.
            const auto wait = s_.options.heartbeat_interval -
                              std::chrono::duration_cast<std::chrono::milliseconds>(now - last_write_);
            if (wait > std::chrono::milliseconds(0) && s_.events.wait(cursor_, wait)) return true;
            if (s_.stopping || s_.events.closed()) return false;
            if (std::chrono::steady_clock::now() - last_write_ < s_.options.heartbeat_interval) return true;
            out = ": heartbeat\n\n";
        }
        if (out.empty()) {
            // Only events this stream does not want: a heartbeat when one is due.
            if (now - last_write_ < s_.options.heartbeat_interval) return true;
            out = ": heartbeat\n\n";
        }
        if (!sink.write(out.data(), out.size())) return false;
        last_write_ = std::chrono::steady_clock::now();
        return true;
    }

private:
    static std::string missed(std::uint64_t last, std::uint64_t oldest) {
        nlohmann::json data(nlohmann::json::value_t::object);
        data["last_event_id"] = last;
        data["oldest_event_id"] = oldest == 0 ? nlohmann::json(nullptr) : nlohmann::json(oldest);
        data["message"] =
            "events after the last one received have left the server's buffer: reload the runs "
            "(GET /api/v1/runs) and go on from here";
        return fmt::format("event: missed\ndata: {}\n\n", data.dump());
    }

    bool wanted(const stream_event& e) {
        if (!filter_.statuses.empty() &&
            std::find(filter_.statuses.begin(), filter_.statuses.end(), e.status) == filter_.statuses.end())
            return false;
        if (!filter_.tasks.empty() &&
            std::find(filter_.tasks.begin(), filter_.tasks.end(), e.task_id) == filter_.tasks.end())
            return false;
        if (!needs_facts_) return true;
        // Tags, queue and creation time are fixed when a run is created: look them up once per run.
        auto it = facts_.find(e.run_id);
        if (it == facts_.end()) {
            if (facts_.size() > 10000) facts_.clear();
            bool match = false;
            if (auto r = s_.rt.retrieve(e.run_id)) {
                const run_facts facts{.task_id = r->task_id,
                                      .tags = r->tags,
                                      .queue = r->queue,
                                      .created_at = r->created_at,
                                      .batch_id = r->batch_id};
                run_filter fixed = filter_;
                fixed.statuses.clear();
                match = fixed.matches(facts, e.status);
            }
            it = facts_.emplace(e.run_id, match).first;
        }
        return it->second;
    }

    server_state& s_;
    run_filter filter_;
    std::uint64_t cursor_;
    bool resumed_;
    bool first_ = true;
    bool needs_facts_ = false;
    std::unordered_map<std::string, bool> facts_;
    std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
};

}  // namespace

void handle_stream(server_state& s, const httplib::Request& req, httplib::Response& res, const route_params&) {
    auto filter = parse_filter_query(req);
    std::uint64_t after = s.events.last_id();
    bool resumed = false;
    std::string last = req.get_header_value("Last-Event-ID");
    if (last.empty() && req.has_param("last_event_id")) last = req.get_param_value("last_event_id");
    if (!last.empty()) {
        std::uint64_t id = 0;
        const auto [end, ec] = std::from_chars(last.data(), last.data() + last.size(), id);
        if (ec != std::errc() || end != last.data() + last.size())
            throw http_error(400, "validation_failed", "Last-Event-ID must be an event id the stream sent");
        after = id;
        resumed = true;
    }
    reserve_event_stream(s);
    auto stream = std::make_shared<event_stream>(s, std::move(filter), after, resumed);
    serve_event_stream(res, std::move(stream));
}

}  // namespace taskkit::http::detail
