/// @file impl/queue_controls.ipp
/// Definitions of queue_controls: each call goes to the runtime's backend.
#pragma once

#include <algorithm>
#include <string>

#include <taskkit/backend/backend.hpp>
#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/error.hpp>
#include <taskkit/queue_controls.hpp>

namespace taskkit {

TASKKIT_DECL auto queue_controls::list() const -> std::vector<queue_stats> { return core_->runs().queues(); }

TASKKIT_DECL auto queue_controls::find(std::string_view name) const -> std::optional<queue_stats> {
    auto all = core_->runs().queues();
    auto it = std::find_if(all.begin(), all.end(), [&](const queue_stats& q) { return q.name == name; });
    if (it == all.end()) return std::nullopt;
    return std::move(*it);
}

TASKKIT_DECL auto queue_controls::pause(std::string_view name) -> void { core_->runs().pause_queue(name, true); }

TASKKIT_DECL auto queue_controls::resume(std::string_view name) -> void { core_->runs().pause_queue(name, false); }

TASKKIT_DECL auto queue_controls::set_concurrency(std::string_view name, int limit) -> void {
    if (limit < 1)
        throw options_error("queue '" + std::string(name) + "': a concurrency limit must be at least 1, got " +
                            std::to_string(limit));
    core_->runs().set_queue_limit(name, limit);
}

TASKKIT_DECL auto queue_controls::reset_concurrency(std::string_view name) -> void {
    core_->runs().set_queue_limit(name, std::nullopt);
}

}  // namespace taskkit
