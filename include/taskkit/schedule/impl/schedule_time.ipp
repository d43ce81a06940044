/// @file schedule/impl/schedule_time.ipp
/// The definitions of what <taskkit/schedule/schedule_time.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/schedule/src.hpp>
/// (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/schedule/schedule_time.hpp>

#include <sstream>

#include <date/date.h>

namespace taskkit {

TASKKIT_DECL auto schedule_time::to_string() const -> std::string {
    return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(time_));
}

TASKKIT_DECL auto schedule_time::parse(std::string_view text) -> schedule_time {
    std::istringstream in{std::string(text)};
    date::sys_seconds seconds{};
    in >> date::parse("%FT%TZ", seconds);
    if (in.fail() || in.peek() != std::char_traits<char>::eof())
        throw payload_error("invalid schedule time \"" + std::string(text) +
                            "\": expected ISO 8601 in UTC such as \"2026-03-08T14:00:00Z\"");
    return schedule_time(time_point(seconds));
}

TASKKIT_DECL auto to_json(nlohmann::json& j, const schedule_time& t) -> void { j = t.to_string(); }

TASKKIT_DECL auto from_json(const nlohmann::json& j, schedule_time& t) -> void {
    if (j.is_number_integer()) {
        t = schedule_time(time_point(std::chrono::milliseconds(j.get<std::int64_t>())));
    } else {
        t = schedule_time::parse(j.get<std::string>());
    }
}

}  // namespace taskkit
