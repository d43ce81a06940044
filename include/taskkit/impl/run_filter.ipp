/// @file impl/run_filter.ipp
/// The definitions of what <taskkit/run_filter.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/run_filter.hpp>

#include <charconv>

#include <taskkit/error.hpp>

namespace taskkit {

TASKKIT_DECL auto run_filter::matches(const run_facts& run, run_status status) const -> bool {
    if (!statuses.empty() && std::find(statuses.begin(), statuses.end(), status) == statuses.end()) return false;
    if (!tasks.empty() && std::find(tasks.begin(), tasks.end(), run.task_id) == tasks.end()) return false;
    for (const auto& tag : tags)
        if (std::ranges::find(run.tags, tag) == run.tags.end()) return false;
    if (!queue.empty() && run.queue != queue) return false;
    if (!batch_id.empty() && run.batch_id != batch_id) return false;
    if (created_from && run.created_at < *created_from) return false;
    if (created_to && run.created_at >= *created_to) return false;
    return true;
}

TASKKIT_DECL auto page_cursor::of(const run_record& last) -> page_cursor {
    return page_cursor{last.created_at, last.id};
}

TASKKIT_DECL auto page_cursor::parse(std::string_view text) -> page_cursor {
    const auto colon = text.find(':');
    long long when = 0;
    const auto* end = colon == std::string_view::npos ? text.data() : text.data() + colon;
    const auto [rest, failure] = std::from_chars(text.data(), end, when);
    if (colon == std::string_view::npos || failure != std::errc() || rest != end || colon + 1 >= text.size())
        throw options_error("run_filter.cursor '" + std::string(text.substr(0, 64)) +
                            "' is not a cursor returned by list(): pass a page's next_cursor as it is");
    return page_cursor{time_point(std::chrono::duration_cast<time_point::duration>(std::chrono::nanoseconds(when))),
                       std::string(text.substr(colon + 1))};
}

TASKKIT_DECL auto page_cursor::to_string() const -> std::string {
    return std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(created_at.time_since_epoch()).count()) +
           ":" + id;
}

}  // namespace taskkit
