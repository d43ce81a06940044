/// @file run_filter.hpp
/// Filters and pages for listing runs and following their changes.
#pragma once

#include <taskkit/detail/config.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>

namespace taskkit {

/// What a filter reads of a run: the facts fixed when it was created (a backend hands these for
/// a run it holds, without copying them).
struct run_facts {
    std::string_view task_id;
    std::span<const std::string> tags;
    std::string_view queue;
    time_point created_at;
    std::string_view batch_id;  ///< empty for a run of no batch
};

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
    std::string batch_id;                    ///< the runs of this batch (batch_handle::id)
    std::optional<time_point> created_from;  ///< created at or after
    std::optional<time_point> created_to;    ///< created before
    std::size_t limit = 100;                 ///< page size
    std::string cursor;                      ///< next_cursor of the previous page; empty: the first page

    /// Whether a run with these facts and this status matches (not the paging).
    [[nodiscard]] bool matches(const run_facts& run, run_status status) const;
};

/// One page of runs, newest first.
struct run_page {
    std::vector<run_record> runs;
    std::string next_cursor;  ///< pass as run_filter::cursor for the next page; empty on the last page
};

/// Where a page ends: the creation time and id of its last run, which every backend writes as
/// `"<creation time in ns since the epoch>:<id>"`. The next page holds the runs created before it
/// (or at the same time with a smaller id), so paging stays right when runs come and go.
struct page_cursor {
    time_point created_at;
    std::string id;

    /// The cursor after `last`, the last run of a page.
    [[nodiscard]] static page_cursor of(const run_record& last);
    /// Reads a cursor that to_string() wrote; throws options_error for anything else.
    [[nodiscard]] static page_cursor parse(std::string_view text);
    [[nodiscard]] std::string to_string() const;
    /// Whether a run created at `created` with id `run_id` comes after this cursor (newest first).
    [[nodiscard]] bool before(time_point created, std::string_view run_id) const noexcept {
        return created < created_at || (created == created_at && run_id < id);
    }
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/run_filter.ipp>
#endif
