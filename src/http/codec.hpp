// What the API reads from requests (trigger options, filters, durations and times) and writes
// back (tasks, runs). Internal to taskkit::http (src/http).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <taskkit/run_filter.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/runtime.hpp>
#include <taskkit/trigger_options.hpp>

namespace taskkit::http::detail {

/// The problems found in a request, each with the JSON Pointer of what is wrong
/// (`{"path": "/options/ttl", "message": "..."}`); throw() answers 400 validation_failed.
class issues {
public:
    void add(std::string path, std::string message);
    [[nodiscard]] bool empty() const noexcept { return list_.empty(); }
    /// Throws http_error(400, "validation_failed") listing them, when there are any.
    void throw_if_any(std::string_view what) const;

private:
    nlohmann::json list_ = nlohmann::json::array();
};

/// A duration: a number of milliseconds (>= 0), or an ISO 8601 duration ("PT5M", "P1DT2H", "PT0.5S").
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(const nlohmann::json& value, std::string* why);
/// An RFC 3339 time ("2026-03-09T08:30:00Z", "2026-03-09T08:30:00.250+09:00").
[[nodiscard]] std::optional<time_point> parse_rfc3339(std::string_view text);
/// A time: milliseconds since the Unix epoch, or an RFC 3339 time.
[[nodiscard]] std::optional<time_point> parse_time(const nlohmann::json& value);
/// An RFC 3339 time in UTC with milliseconds.
[[nodiscard]] std::string format_rfc3339(time_point t);

/// The trigger options of a request's `"options"` object (every field of taskkit::trigger_options).
[[nodiscard]] trigger_options parse_trigger_options(const nlohmann::json& options, issues& problems);

/// The longest batch id a filter accepts (`batch`): longer ones are no id taskkit gives.
inline constexpr std::size_t max_batch_id_length = 256;

/// A filter from the query string (status, task, tag, queue, batch, created_from, created_to, limit, cursor).
[[nodiscard]] run_filter parse_filter_query(const httplib::Request& req);
/// A filter from a JSON object with the same names (values as arrays or single strings).
[[nodiscard]] run_filter parse_filter_json(const nlohmann::json& filter, const std::string& where, issues& problems);
/// Whether a filter sets any field (paging aside).
[[nodiscard]] bool filter_is_empty(const run_filter& f);

/// A task of the registry as the API describes it.
[[nodiscard]] nlohmann::json describe_task(runtime& rt, std::string_view id);
/// Every task of the registry, by id.
[[nodiscard]] nlohmann::json describe_tasks(runtime& rt);

/// A run in a list: its record without the log lines.
[[nodiscard]] nlohmann::json run_summary(const run_record& r);
/// A run's link to a parent or child: id, task and status (null status when it is gone).
[[nodiscard]] nlohmann::json run_link(runtime& rt, const std::string& id);

}  // namespace taskkit::http::detail
