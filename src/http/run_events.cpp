// One run's realtime view: GET /api/v1/runs/{id}/streams/{name} (one stream, whole) and
// GET /api/v1/runs/{id}/events (server-sent events of its run_updates through runtime::watch).
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include <taskkit/stream_writer.hpp>

#include "http/codec.hpp"
#include "http/server_state.hpp"

namespace taskkit::http::detail {

namespace {

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string sse(std::string_view event, const nlohmann::json& data) {
    return fmt::format("event: {}\ndata: {}\n\n", event, dump(data));
}

/// The most updates one stream holds unsent; past it they are dropped and the next write sends
/// the run's whole state again (a `run` event), so a slow client loses nothing it could not reload.
constexpr std::size_t max_pending_updates = 4096;

/// What the watch callback (on the runtime's threads) hands the response's thread.
struct update_queue {
    struct item {
        update_kind kind = update_kind::status;
        run_status status = run_status::queued;
        int attempt = 0;
        nlohmann::json metadata;   // metadata: the whole object
        nlohmann::json change;     // metadata: the change made, or null
        std::string stream;        // stream: its name
        std::size_t index = 0;     // stream: the chunk's position
        nlohmann::json chunk;      // stream: the chunk
        std::int64_t time_ms = 0;  // when the server saw it
    };
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<item> items;
    bool overflowed = false;

    void push(const run_update& u) {
        item it;
        it.kind = u.kind;
        it.status = u.status;
        it.attempt = u.attempt;
        if (u.kind == update_kind::metadata) {
            if (u.metadata) it.metadata = *u.metadata;
            if (u.change) {
                nlohmann::json c(nlohmann::json::value_t::object);
                c["operation"] = to_string(u.change->operation);
                c["key"] = u.change->key;
                c["value"] = u.change->value;
                it.change = std::move(c);
            }
        } else if (u.kind == update_kind::stream) {
            it.stream = std::string(u.stream);
            it.index = u.index;
            if (u.chunk) it.chunk = *u.chunk;
        }
        it.time_ms = now_ms();
        {
            std::lock_guard lock(mutex);
            if (items.size() >= max_pending_updates) {
                items.clear();
                overflowed = true;
            } else {
                items.push_back(std::move(it));
            }
        }
        cv.notify_one();
    }
};

/// One open events stream of one run: the run's state first, then each update once, then `end`
/// after its terminal status.
class run_event_stream {
public:
    run_event_stream(server_state& s, std::string run_id) : s_(s), run_id_(std::move(run_id)) {}
    run_event_stream(const run_event_stream&) = delete;
    run_event_stream& operator=(const run_event_stream&) = delete;
    ~run_event_stream() {
        watching_.reset();  // no callback runs after this
        --s_.open_streams;
    }

    /// Subscribes before the state is read, so that an update made meanwhile is sent (chunks the
    /// state already holds are skipped).
    void start() {
        auto q = queue_;
        watching_ = s_.rt.watch(run_id_, [q](const run_update& u) { q->push(u); });
    }

    bool pump(httplib::DataSink& sink) {
        if (s_.stopping || ended_) return false;
        std::string out;
        if (first_) {
            first_ = false;
            // What was told before the state is read is in it: only later updates are sent.
            {
                std::lock_guard lock(queue_->mutex);
                queue_->items.clear();
                queue_->overflowed = false;
            }
            out += "retry: 2000\n: connected\n\n";
            out += state();
            if (ended_) {
                if (!sink.write(out.data(), out.size())) return false;
                sink.done();
                return true;
            }
        }
        std::deque<update_queue::item> items;
        bool resend = false;
        {
            std::unique_lock lock(queue_->mutex);
            if (out.empty() && queue_->items.empty() && !queue_->overflowed) {
                // Nothing new: wait for an update, the server's stop, or the next heartbeat (in
                // short slices, so that a stopping server is noticed soon).
                const auto since = std::chrono::steady_clock::now() - last_write_;
                auto wait =
                    s_.options.heartbeat_interval - std::chrono::duration_cast<std::chrono::milliseconds>(since);
                wait = std::min<std::chrono::milliseconds>(wait, std::chrono::milliseconds(250));
                if (wait > std::chrono::milliseconds(0))
                    queue_->cv.wait_for(lock, wait, [&] { return !queue_->items.empty() || queue_->overflowed; });
            }
            items.swap(queue_->items);
            resend = queue_->overflowed;
            queue_->overflowed = false;
        }
        if (s_.stopping) return false;
        if (resend) {
            out += state();
        } else {
            for (auto& it : items) {
                out += render(it);
                if (ended_) break;
            }
        }
        if (out.empty()) {
            if (std::chrono::steady_clock::now() - last_write_ < s_.options.heartbeat_interval) return true;
            out = ": heartbeat\n\n";
        }
        if (!sink.write(out.data(), out.size())) return false;
        last_write_ = std::chrono::steady_clock::now();
        if (ended_) sink.done();
        return true;
    }

private:
    /// The `run` event: the whole record as the list shows it, and `end` when it has ended.
    std::string state() {
        auto r = s_.rt.retrieve(run_id_);
        if (!r) {
            ended_ = true;
            nlohmann::json gone(nlohmann::json::value_t::object);
            gone["run_id"] = run_id_;
            gone["message"] = "the run is gone";
            return sse("end", gone);
        }
        sent_.clear();
        for (const auto& [name, stream] : r->streams) sent_[name] = stream.dropped + stream.chunks.size();
        status_ = r->status;
        std::string out = sse("run", run_summary(*r));
        if (is_terminal(r->status)) out += end();
        return out;
    }

    std::string end() {
        ended_ = true;
        nlohmann::json data(nlohmann::json::value_t::object);
        data["run_id"] = run_id_;
        data["status"] = to_string(status_);
        return sse("end", data);
    }

    std::string render(update_queue::item& it) {
        nlohmann::json data(nlohmann::json::value_t::object);
        data["run_id"] = run_id_;
        data["status"] = to_string(it.status);
        data["attempt"] = it.attempt;
        data["time"] = it.time_ms;
        switch (it.kind) {
            case update_kind::status: {
                status_ = it.status;
                // What a waiting run waits for, read now (null when it has moved on meanwhile).
                data["waiting_for"] = nullptr;
                if (it.status == run_status::waiting)
                    if (auto r = s_.rt.retrieve(run_id_); r && r->status == run_status::waiting && r->waiting_for)
                        data["waiting_for"] = *r->waiting_for;
                auto out = sse("status", data);
                if (is_terminal(it.status)) out += end();
                return out;
            }
            case update_kind::metadata:
                data["metadata"] = std::move(it.metadata);
                data["change"] = std::move(it.change);
                return sse("metadata", data);
            case update_kind::stream: {
                auto& next = sent_[it.stream];
                if (it.index < next) return {};  // in the state already sent
                next = it.index + 1;
                data["stream"] = it.stream;
                data["index"] = it.index;
                data["chunk"] = std::move(it.chunk);
                return sse("stream", data);
            }
        }
        return {};
    }

    server_state& s_;
    std::string run_id_;
    std::shared_ptr<update_queue> queue_ = std::make_shared<update_queue>();
    std::optional<subscription> watching_;
    std::map<std::string, std::size_t, std::less<>> sent_;  // per stream: the next chunk index to send
    run_status status_ = run_status::queued;
    bool first_ = true;
    bool ended_ = false;
    std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
};

run_record run_or_404(runtime& rt, const std::string& id) {
    auto r = rt.retrieve(id);
    if (!r) throw http_error(404, "unknown_run", "no run with id '" + id.substr(0, 128) + "'");
    return std::move(*r);
}

}  // namespace

void handle_get_run_stream(server_state& s, const httplib::Request&, httplib::Response& res, const route_params& p) {
    if (!stream_writer::valid_name(p[1]))
        throw http_error(400, "validation_failed",
                         "a stream name is 1 to 64 characters of letters, digits, '-', '_', '.' and ':'");
    const auto r = run_or_404(s.rt, p[0]);
    nlohmann::json j(nlohmann::json::value_t::object);
    j["run_id"] = r.id;
    j["name"] = p[1];
    // A stream the run has not written (yet) is empty.
    if (auto it = r.streams.find(p[1]); it != r.streams.end()) {
        j["chunks"] = it->second.chunks;
        j["dropped"] = it->second.dropped;
    } else {
        j["chunks"] = nlohmann::json::array();
        j["dropped"] = 0;
    }
    send_json(res, 200, j);
}

void handle_run_events(server_state& s, const httplib::Request&, httplib::Response& res, const route_params& p) {
    (void)run_or_404(s.rt, p[0]);
    reserve_event_stream(s);
    auto stream = std::make_shared<run_event_stream>(s, p[0]);
    stream->start();
    serve_event_stream(res, std::move(stream));
}

}  // namespace taskkit::http::detail
