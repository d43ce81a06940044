/// @file detail/impl/run_state.ipp
/// The definitions of what <taskkit/detail/run_state.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/run_state.hpp>

#include <taskkit/detail/json_depth.hpp>
#include <taskkit/error.hpp>

namespace taskkit::detail {

TASKKIT_DECL optional_time::optional_time(time_point t) noexcept : t_(t) {}

TASKKIT_DECL run_state::~run_state() { delete extras_.load(std::memory_order_relaxed); }

TASKKIT_DECL auto run_state::extras() -> run_extras& {
    auto* e = extras_.load(std::memory_order_acquire);
    if (!e) {
        e = new run_extras;
        extras_.store(e, std::memory_order_release);
    }
    return *e;
}

TASKKIT_DECL auto run_state::metadata_writes() -> std::recursive_mutex& {
    std::lock_guard lock(mutex);
    return extras().metadata_writes;
}

TASKKIT_DECL auto run_state::extras_if_any() const noexcept -> const run_extras* {
    return extras_.load(std::memory_order_acquire);
}

TASKKIT_DECL auto run_state::extras_if_any() noexcept -> run_extras* { return extras_.load(std::memory_order_acquire); }

TASKKIT_DECL auto run_state::parent_id() const noexcept -> std::string_view {
    const auto* e = extras_if_any();
    return e ? std::string_view(e->parent_id) : std::string_view();
}

TASKKIT_DECL auto run_state::idempotency_key() const noexcept -> std::string_view {
    const auto* e = extras_if_any();
    return e ? std::string_view(e->idempotency_key) : std::string_view();
}

TASKKIT_DECL auto run_state::concurrency_key() const noexcept -> std::string_view {
    const auto* e = extras_if_any();
    return e ? std::string_view(e->concurrency_key) : std::string_view();
}

TASKKIT_DECL auto run_state::tags() const noexcept -> std::span<const std::string> {
    const auto* e = extras_if_any();
    return e ? std::span<const std::string>(e->tags) : std::span<const std::string>();
}

TASKKIT_DECL auto run_state::expires_at() const noexcept -> std::optional<time_point> {
    const auto* e = extras_if_any();
    return e ? e->expires_at : std::nullopt;
}

TASKKIT_DECL void check_stream_chunk(std::string_view stream, const nlohmann::json& chunk) {
    // A record holds it three levels down: streams, the stream, its chunks.
    if (std::string where; json_depth_exceeds(chunk, max_payload_depth - 3, &where))
        throw options_error("a chunk of stream '" + std::string(stream) +
                            "' nests deeper than taskkit::max_payload_depth (" + std::to_string(max_payload_depth) +
                            "), first at " + where);
}

TASKKIT_DECL std::size_t keep_stream_chunk(run_extras& extras, std::string_view name, nlohmann::json chunk,
                                           std::size_t limit) {
    auto it = extras.streams.find(name);
    if (it == extras.streams.end()) {
        if (extras.streams.size() >= max_streams_per_run)
            throw options_error("stream '" + std::string(name) + "': a run has at most " +
                                std::to_string(max_streams_per_run) + " streams");
        it = extras.streams.emplace(std::string(name), stream_buffer{}).first;
    }
    return it->second.keep(std::move(chunk), limit);
}

TASKKIT_DECL stream_record copy_stream(const run_extras* extras, std::string_view name) {
    if (!extras) return {};
    auto it = extras->streams.find(name);
    if (it == extras->streams.end()) return {};
    return stream_record{{it->second.chunks.begin(), it->second.chunks.end()}, it->second.dropped};
}

TASKKIT_DECL auto run_state::snapshot() const -> run_record {
    run_record r;
    r.id = id;
    r.task_id = std::string(task_id);
    r.queue = std::string(queue_name);
    r.machine_spec = machine_spec;
    r.concurrency_key = std::string(concurrency_key());
    r.priority = priority;
    r.created_at = created_at;
    std::lock_guard lock(mutex);
    r.payload = payload_json();  // under the lock: a trailing debounce may replace a delayed run's payload
    r.status = status;
    r.output = output_json_locked();
    r.attempts = attempts;
    r.started_at = started_at;
    r.finished_at = finished_at;
    r.run_at = run_at;
    r.metadata = empty_object();
    if (const auto* e = extras_if_any()) {
        r.tags = e->tags;
        r.parent_id = e->parent_id;
        r.idempotency_key = e->idempotency_key;
        r.batch_id = e->batch_id;
        r.error = e->error;
        if (!e->metadata.is_null()) r.metadata = e->metadata;
        r.children = e->child_ids;
        // Oldest first: the ring's lines from its oldest one on, then those written over the start.
        const auto oldest = e->logs.begin() + static_cast<std::ptrdiff_t>(e->oldest_log);
        r.logs.reserve(e->logs.size());
        r.logs.insert(r.logs.end(), oldest, e->logs.end());
        r.logs.insert(r.logs.end(), e->logs.begin(), oldest);
        r.dropped_logs = e->dropped_logs;
        r.hook_errors = e->hook_errors;
        for (const auto& entry : e->streams) r.streams.emplace(entry.first, copy_stream(e, entry.first));
        r.waiting_for = e->waiting_for;
    }
    return r;
}

TASKKIT_DECL auto run_state::error_locked() const noexcept -> const std::optional<error_info>& {
    static const std::optional<error_info> none;
    const auto* e = extras_if_any();
    return e ? e->error : none;
}

TASKKIT_DECL auto run_state::current_status() const -> run_status {
    std::lock_guard lock(mutex);
    return status;
}

TASKKIT_DECL auto run_state::wait_terminal() const -> void { ended.wait(); }

}  // namespace taskkit::detail
