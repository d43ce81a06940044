/// @file schedule/schedule_payload.hpp
/// taskkit::schedule_payload, what a scheduled task's run receives, and taskkit::schedule_type.
#pragma once

#include <taskkit/schedule/detail/config.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/schedule/schedule_time.hpp>

namespace taskkit {

/// Where a schedule comes from: defined with its task (`scheduled_task{.cron = …}`), or created
/// at run time through `taskkit::schedules(rt).create(…)`.
enum class schedule_type { declarative, imperative };

/// "declarative" or "imperative".
[[nodiscard]] constexpr std::string_view to_string(schedule_type type) noexcept {
    return type == schedule_type::declarative ? "declarative" : "imperative";
}

NLOHMANN_JSON_SERIALIZE_ENUM(schedule_type,
                             {{schedule_type::declarative, "declarative"}, {schedule_type::imperative, "imperative"}})

/// What a scheduled task's run receives.
struct schedule_payload {
    std::string schedule_id;                          ///< the schedule that fired
    schedule_type type = schedule_type::declarative;  ///< declarative or imperative
    schedule_time timestamp;                          ///< the nominal cron time of this fire (even when it ran late)
    std::optional<schedule_time>
        last_timestamp;                      ///< the nominal time of the schedule's previous fire; none on the first
    std::string timezone = "UTC";            ///< the IANA zone the cron is read in
    std::vector<schedule_time> upcoming;     ///< the next 5 nominal times after `timestamp`
    std::optional<std::string> external_id;  ///< imperative schedules: the id you gave (a user id, say)
};

/// JSON: `{"schedule_id", "type", "timestamp", "last_timestamp" (null on the first fire),
/// "timezone", "upcoming", "external_id" (null when none)}`, times as ISO 8601 UTC strings.
TASKKIT_DECL void to_json(nlohmann::json& j, const schedule_payload& p);

TASKKIT_DECL void from_json(const nlohmann::json& j, schedule_payload& p);

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/schedule/impl/schedule_payload.ipp>
#endif
