// Values to columns and back: statuses, errors, JSON, times. Internal to taskkit::sqlite.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>

namespace taskkit::sqlite::detail {

class statement;

/// A run's status as stored ("queued", "timed_out"...). Throws sqlite_corrupt_error for a name
/// that is none.
[[nodiscard]] run_status parse_status(std::string_view name, const std::string& path);

/// An error_info as JSON text: {"type", "message", "code"}. The exception itself is not stored.
[[nodiscard]] std::string error_text(const error_info& error);
[[nodiscard]] error_info parse_error(std::string_view text, const std::string& path);
/// An error_info of taskkit's own, without an exception (expired, canceled, crashed...).
[[nodiscard]] error_info make_error(std::string type, std::string message, error_code code);

[[nodiscard]] std::string json_text(const nlohmann::json& value);
/// Parses a JSON column; throws sqlite_corrupt_error naming `what` when it is not JSON.
[[nodiscard]] nlohmann::json parse_json(std::string_view text, const std::string& path, std::string_view what);

/// What a waiting run waits for (runs.waiting_for): {"kind", "until" (ns since the Unix epoch, when
/// set), "run_ids", "batch_id", "token_id", "any"}. Parsing is lenient on fields (a missing one keeps its
/// default) and throws sqlite_corrupt_error for text that is not a JSON object of a known kind.
[[nodiscard]] std::string waiting_for_text(const taskkit::wait_info& wait);
[[nodiscard]] taskkit::wait_info parse_waiting_for(std::string_view text, const std::string& path);

[[nodiscard]] std::string_view level_name(log_level level) noexcept;
[[nodiscard]] log_level parse_level(std::string_view name) noexcept;

}  // namespace taskkit::sqlite::detail
