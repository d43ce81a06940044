/// @file impl/run_filter.ipp
/// The definitions of what <taskkit/run_filter.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/run_filter.hpp>

namespace taskkit {

TASKKIT_DECL auto run_filter::matches(const detail::run_state& run, run_status status) const -> bool {
    if (!statuses.empty() && std::find(statuses.begin(), statuses.end(), status) == statuses.end()) return false;
    if (!tasks.empty() && std::find(tasks.begin(), tasks.end(), run.task_id) == tasks.end()) return false;
    const auto run_tags = run.tags();
    for (const auto& tag : tags)
        if (std::ranges::find(run_tags, tag) == run_tags.end()) return false;
    if (!queue.empty() && run.queue_name != queue) return false;
    if (created_from && run.created_at < *created_from) return false;
    if (created_to && run.created_at >= *created_to) return false;
    return true;
}

}  // namespace taskkit
