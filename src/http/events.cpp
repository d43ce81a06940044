// The status-event buffer of event streams, and the counters of GET /metrics.
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "http/server_state.hpp"

namespace taskkit::http::detail {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// ------------------------------------------------------------------ event_hub

void event_hub::push(const status_event& e) {
    stream_event event{.run_id = std::string(e.run_id),
                       .task_id = std::string(e.task_id),
                       .status = e.status,
                       .attempt = e.attempt,
                       .time_ms = now_ms()};
    {
        std::lock_guard lock(mutex_);
        event.id = next_id_++;
        if (events_.size() == capacity_) events_.pop_front();
        events_.push_back(std::move(event));
    }
    cv_.notify_all();
}

event_hub::read_result event_hub::read_after(std::uint64_t after, std::size_t max) const {
    read_result out;
    std::lock_guard lock(mutex_);
    if (events_.empty()) {
        // Nothing buffered: ids up to next_id_ - 1 were handed out and have all left (or none was).
        out.missed = after + 1 < next_id_;
        return out;
    }
    out.oldest = events_.front().id;
    out.missed = after + 1 < out.oldest;
    const auto first = after < out.oldest ? std::size_t{0} : static_cast<std::size_t>(after + 1 - out.oldest);
    for (auto i = first; i < events_.size() && out.events.size() < max; ++i) out.events.push_back(events_[i]);
    return out;
}

bool event_hub::wait(std::uint64_t after, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return closed_ || next_id_ > after + 1; }) && !closed_;
}

std::uint64_t event_hub::last_id() const {
    std::lock_guard lock(mutex_);
    return next_id_ - 1;
}

void event_hub::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    cv_.notify_all();
}

bool event_hub::closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
}

// ------------------------------------------------------------------ metrics_state

namespace {

/// Attempt-duration buckets, in seconds.
constexpr double bucket_bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
constexpr std::size_t bucket_count = std::size(bucket_bounds);

/// A label value escaped for the text format (backslash, double quote, newline).
std::string label(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string number(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
}

}  // namespace

void metrics_state::seed(const std::vector<run_record>& unfinished) {
    std::lock_guard lock(mutex_);
    for (const auto& r : unfinished) {
        if (is_terminal(r.status) || seen_.contains(r.id)) continue;
        live_.try_emplace(r.id, live_run{.task = r.task_id,
                                         .status = r.status,
                                         .attempt = r.attempts.empty() ? 0 : r.attempts.back().number,
                                         .attempt_started = std::nullopt});
    }
    seeded_ = true;
    seen_.clear();
}

void metrics_state::observe(const std::string& task, double seconds) {
    auto& h = durations_[task];
    if (h.buckets.empty()) h.buckets.assign(bucket_count, 0);
    for (std::size_t i = 0; i < bucket_count; ++i)
        if (seconds <= bucket_bounds[i]) {
            ++h.buckets[i];
            break;
        }
    ++h.count;
    h.sum += seconds;
}

void metrics_state::on_event(const status_event& e) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    std::string id(e.run_id);
    if (!seeded_) seen_.insert(id);
    auto it = live_.find(id);
    if (it == live_.end()) {
        if (is_terminal(e.status)) {
            // A run that ended without the server seeing it start (created before it subscribed).
            ++finished_[{std::string(e.task_id), std::string(to_string(e.status))}];
            return;
        }
        it = live_.emplace(std::move(id), live_run{.task = std::string(e.task_id)}).first;
    }
    auto& run = it->second;
    const auto ends_attempt = [&] {
        if (run.attempt_started) {
            observe(run.task, std::chrono::duration<double>(now - *run.attempt_started).count());
            run.attempt_started.reset();
        }
    };
    switch (e.status) {
        case run_status::executing:
            if (!run.attempt_started || run.attempt != e.attempt) {
                ends_attempt();
                run.attempt_started = now;
            }
            break;
        case run_status::retrying:
            ends_attempt();
            ++retries_[run.task];
            break;
        case run_status::waiting:  // the attempt goes on while the run waits
        case run_status::queued:
        case run_status::delayed:
            break;
        default:  // terminal
            ends_attempt();
            break;
    }
    run.status = e.status;
    run.attempt = e.attempt;
    if (is_terminal(e.status)) {
        ++finished_[{run.task, std::string(to_string(e.status))}];
        live_.erase(it);
    }
}

void metrics_state::count_request(int status) {
    std::lock_guard lock(mutex_);
    ++requests_[status];
}

std::string metrics_state::render(runtime& rt) const {
    // Queues first, outside the lock: the runtime has locks of its own.
    const auto queues = rt.queues().list();
    const auto workers = rt.workers();

    std::string out;
    std::lock_guard lock(mutex_);
    std::map<std::pair<std::string, std::string>, std::uint64_t> current;
    std::uint64_t executing = 0;
    for (const auto& [id, run] : live_) {
        ++current[{run.task, std::string(to_string(run.status))}];
        if (run.status == run_status::executing) ++executing;
    }

    out += "# HELP taskkit_runs Unfinished runs by task and status.\n# TYPE taskkit_runs gauge\n";
    for (const auto& [key, n] : current)
        out += fmt::format("taskkit_runs{{task=\"{}\",status=\"{}\"}} {}\n", label(key.first), label(key.second), n);

    out +=
        "# HELP taskkit_runs_finished_total Runs that ended, by task and final status, since the server started.\n"
        "# TYPE taskkit_runs_finished_total counter\n";
    for (const auto& [key, n] : finished_)
        out += fmt::format("taskkit_runs_finished_total{{task=\"{}\",status=\"{}\"}} {}\n", label(key.first),
                           label(key.second), n);

    out +=
        "# HELP taskkit_retries_total Attempts that failed and were retried, by task.\n"
        "# TYPE taskkit_retries_total counter\n";
    for (const auto& [task, n] : retries_)
        out += fmt::format("taskkit_retries_total{{task=\"{}\"}} {}\n", label(task), n);

    out +=
        "# HELP taskkit_attempt_duration_seconds How long attempts took, by task.\n"
        "# TYPE taskkit_attempt_duration_seconds histogram\n";
    for (const auto& [task, h] : durations_) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            cumulative += h.buckets[i];
            out += fmt::format("taskkit_attempt_duration_seconds_bucket{{task=\"{}\",le=\"{}\"}} {}\n", label(task),
                               number(bucket_bounds[i]), cumulative);
        }
        out += fmt::format("taskkit_attempt_duration_seconds_bucket{{task=\"{}\",le=\"+Inf\"}} {}\n", label(task),
                           h.count);
        out += fmt::format("taskkit_attempt_duration_seconds_sum{{task=\"{}\"}} {}\n", label(task), number(h.sum));
        out += fmt::format("taskkit_attempt_duration_seconds_count{{task=\"{}\"}} {}\n", label(task), h.count);
    }

    out +=
        "# HELP taskkit_queue_queued Runs waiting for a slot of the queue (delayed runs not counted).\n"
        "# TYPE taskkit_queue_queued gauge\n";
    for (const auto& q : queues)
        out += fmt::format("taskkit_queue_queued{{queue=\"{}\"}} {}\n", label(q.name), q.queued);
    out += "# HELP taskkit_queue_executing Runs holding a slot of the queue.\n# TYPE taskkit_queue_executing gauge\n";
    for (const auto& q : queues)
        out += fmt::format("taskkit_queue_executing{{queue=\"{}\"}} {}\n", label(q.name), q.executing);
    out +=
        "# HELP taskkit_queue_limit The queue's concurrency limit in force (0: unbounded).\n"
        "# TYPE taskkit_queue_limit gauge\n";
    for (const auto& q : queues) out += fmt::format("taskkit_queue_limit{{queue=\"{}\"}} {}\n", label(q.name), q.limit);
    out += "# HELP taskkit_queue_paused 1 while the queue is paused.\n# TYPE taskkit_queue_paused gauge\n";
    for (const auto& q : queues)
        out += fmt::format("taskkit_queue_paused{{queue=\"{}\"}} {}\n", label(q.name), q.paused ? 1 : 0);

    const auto busy = std::min<std::uint64_t>(executing, workers);
    out +=
        "# HELP taskkit_worker_threads The runtime's worker threads, busy (executing a run) or idle.\n"
        "# TYPE taskkit_worker_threads gauge\n";
    out += fmt::format("taskkit_worker_threads{{state=\"busy\"}} {}\n", busy);
    out += fmt::format("taskkit_worker_threads{{state=\"idle\"}} {}\n", workers - busy);

    out +=
        "# HELP taskkit_http_requests_total Requests the server answered, by status code.\n"
        "# TYPE taskkit_http_requests_total counter\n";
    for (const auto& [status, n] : requests_)
        out += fmt::format("taskkit_http_requests_total{{code=\"{}\"}} {}\n", status, n);
    return out;
}

}  // namespace taskkit::http::detail
