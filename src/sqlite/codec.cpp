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

std::string waiting_for_text(const taskkit::wait_info& wait) {
    nlohmann::json j(nlohmann::json::value_t::object);
    j["kind"] = to_string(wait.kind);
    if (wait.until)
        j["until"] = std::chrono::duration_cast<std::chrono::nanoseconds>(wait.until->time_since_epoch()).count();
    j["run_ids"] = wait.run_ids;
    if (!wait.batch_id.empty()) j["batch_id"] = wait.batch_id;
    if (!wait.token_id.empty()) j["token_id"] = wait.token_id;
    j["any"] = wait.any;
    return json_text(j);
}

taskkit::wait_info parse_waiting_for(std::string_view text, const std::string& path) {
    const auto j = parse_json(text, path, "what a run waits for");
    const auto kind = j.is_object() ? j.value("kind", std::string()) : std::string();
    taskkit::wait_info wait;
    bool known = false;
    for (const auto k : {wait_kind::duration, wait_kind::run, wait_kind::batch, wait_kind::token})
        if (to_string(k) == kind) {
            wait.kind = k;
            known = true;
        }
    if (!known)
        throw sqlite_corrupt_error(0, path,
                                   fmt::format("taskkit: the database '{}' holds what a run waits for with no known "
                                               "kind (duration, run, batch, token): the file is corrupt or was "
                                               "written by another program.",
                                               path));
    if (auto it = j.find("until"); it != j.end() && it->is_number_integer())
        wait.until = time_point(
            std::chrono::duration_cast<time_point::duration>(std::chrono::nanoseconds(it->get<std::int64_t>())));
    if (auto it = j.find("run_ids"); it != j.end() && it->is_array())
        for (const auto& id : *it)
            if (id.is_string()) wait.run_ids.push_back(id.get<std::string>());
    if (auto it = j.find("batch_id"); it != j.end() && it->is_string()) wait.batch_id = it->get<std::string>();
    if (auto it = j.find("token_id"); it != j.end() && it->is_string()) wait.token_id = it->get<std::string>();
    if (auto it = j.find("any"); it != j.end() && it->is_boolean()) wait.any = it->get<bool>();
    return wait;
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
