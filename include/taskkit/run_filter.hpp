/// @file run_filter.hpp
/// Filters and pages for listing runs and following their changes.
#pragma once

#include <taskkit/detail/config.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <taskkit/detail/run_state.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>

namespace taskkit {

/// Which runs to list or follow. Empty fields match everything; a run matches when it matches
/// every field that is set.
/// @code
/// auto page = rt.list({.statuses = {taskkit::run_status::failed}, .tags = {"user_42"}, .limit = 20});
/// @endcode
struct run_filter {
    std::vector<run_status> statuses;        ///< any of these
    std::vector<std::string> tasks;          ///< any of these task ids
    std::vector<std::string> tags;           ///< runs carrying every one of these tags
    std::string queue;                       ///< runs of this queue
    std::optional<time_point> created_from;  ///< created at or after
    std::optional<time_point> created_to;    ///< created before
    std::size_t limit = 100;                 ///< page size
    std::string cursor;                      ///< next_cursor of the previous page; empty: the first page

    /// Whether `run` matches (status, task, tags, queue and creation time; not the paging).
    [[nodiscard]] bool matches(const detail::run_state& run, run_status status) const;
};

/// One page of runs, newest first.
struct run_page {
    std::vector<run_record> runs;
    std::string next_cursor;  ///< pass as run_filter::cursor for the next page; empty on the last page
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/run_filter.ipp>
#endif
