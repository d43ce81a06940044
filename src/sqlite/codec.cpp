// Values to columns and back (codec.hpp).
#include "sqlite/codec.hpp"

#include <fmt/format.h>

#include <taskkit/sqlite/sqlite_error.hpp>

namespace taskkit::sqlite::detail {

run_status parse_status(std::string_view name, const std::string& path) {
    if (const auto status = parse_run_status(name)) return *status;
    throw sqlite_corrupt_error(0, path,
                               fmt::format("taskkit: the database '{}' holds a run with the status '{}', which is "
                                           "none of taskkit's: the file is corrupt or was written by another program.",
                                           path, name));
}

std::string error_text(const error_info& error) {
    nlohmann::json j;
    to_json(j, error);
    return j.dump();
}

error_info parse_error(std::string_view text, const std::string& path) {
    const auto j = parse_json(text, path, "an error");
    error_info error;
    if (!j.is_object()) return error;
    if (auto it = j.find("type"); it != j.end() && it->is_string()) error.type = it->get<std::string>();
    if (auto it = j.find("message"); it != j.end() && it->is_string()) error.message = it->get<std::string>();
    if (auto it = j.find("code"); it != j.end() && it->is_string()) {
        const auto name = it->get<std::string>();
        for (int i = 0; i <= static_cast<int>(error_code::token_timed_out); ++i)
            if (to_string(static_cast<error_code>(i)) == name) error.code = static_cast<error_code>(i);
    }
    return error;
}

error_info make_error(std::string type, std::string message, error_code code) {
    error_info error;
    error.type = std::move(type);
    error.message = std::move(message);
    error.code = code;
    return error;
}

std::string json_text(const nlohmann::json& value) {
    // Invalid UTF-8 in a user's string is replaced rather than thrown on: a record is never lost to it.
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json parse_json(std::string_view text, const std::string& path, std::string_view what) {
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded())
        throw sqlite_corrupt_error(
            0, path,
            fmt::format("taskkit: the database '{}' holds {} that is not valid JSON: the file is "
                        "corrupt or was written by another program.",
                        path, what));
    return parsed;
}

std::string_view level_name(log_level level) noexcept { return to_string(level); }

log_level parse_level(std::string_view name) noexcept {
    if (name == "debug") return log_level::debug;
    if (name == "warn") return log_level::warn;
    if (name == "error") return log_level::error;
    return log_level::info;
}

}  // namespace taskkit::sqlite::detail
