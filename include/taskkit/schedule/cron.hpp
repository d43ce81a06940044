/// @file schedule/cron.hpp
/// taskkit::cron: a standard 5-field cron expression whose fire times are computed in an IANA
/// time zone, with a documented rule for daylight-saving transitions.
///
/// An optional integration: it needs Howard Hinnant's date/tz library (link `taskkit::cron`), and the
/// umbrella header `taskkit.hpp` does not include it.
/// @code
/// auto weekdays = taskkit::cron::parse("0 9 * * MON-FRI");
/// auto when = weekdays.next(std::chrono::system_clock::now(), "Europe/Berlin");
/// @endcode
#pragma once

#include <taskkit/schedule/detail/config.hpp>

#include <taskkit/error.hpp>
#include <taskkit/schedule/detail/cron_fields.hpp>

#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskkit {

/// A cron expression or a time zone name is invalid, or no fire time can be represented.
/// The message names the expression, the field and the reason, e.g.
/// `invalid cron "0 25 * * *": hour field: 25 is out of range 0-23`.
class cron_error : public error {
public:
    explicit cron_error(const std::string& message) : error(error_code::invalid_cron, message) {}
};

/// A parsed 5-field cron expression: `minute hour day-of-month month day-of-week`.
///
/// Supports `*`, values, ranges `a-b`, steps `*/15`, `10-50/10`, `5/15` (= 5-59/15), lists,
/// month (JAN-DEC) and weekday (SUN-SAT) names in any case, 0 and 7 for Sunday, `L` (last day of
/// the month) in day-of-month, `nL` (last weekday n of the month) in day-of-week, `?` as `*` in the
/// day fields, and the nicknames @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly.
/// When both day fields are restricted, a day matches if either matches (the classic cron rule).
///
/// Fire times are computed field by field (no minute-by-minute scan) in wall-clock time of an
/// IANA zone. Daylight-saving rule (see docs/cron.md):
/// - a schedule that selects every hour (hour field `*`) fires at every real instant whose local
///   time matches: local times skipped by a spring-forward never happen, repeated ones fire twice;
/// - any other schedule fires once per matching local time: a skipped time fires at the end of
///   the gap (02:30 → 03:00 when clocks jump from 02:00 to 03:00), a repeated time fires at its
///   first occurrence only.
///
/// Zones come from the system's time zone database through date/tz, which reads the zone files'
/// transition tables only (usually up to 2037): later years keep the last listed offset.
///
/// A value type: cheap to copy, immutable, safe to share between threads.
class cron {
public:
    using clock = std::chrono::system_clock;
    using time_point = clock::time_point;

    /// Parses an expression; throws cron_error naming the field and the reason when it is invalid,
    /// including a day-of-month that never occurs in the selected months (`0 0 30 2 *`).
    /// @code
    /// auto nightly = taskkit::cron::parse("30 2 * * *");
    /// @endcode
    [[nodiscard]] TASKKIT_DECL static cron parse(std::string_view expression);

    /// The first fire time strictly after `after`, in the zone named `zone` (an IANA name such as
    /// "America/New_York"; default "UTC"). Throws cron_error for an unknown zone.
    [[nodiscard]] TASKKIT_DECL time_point next(time_point after, std::string_view zone = "UTC") const;

    /// The first fire time strictly after `after`, in a zone resolved once with locate_zone()
    /// (the fast path for a scheduler that computes many fire times).
    [[nodiscard]] TASKKIT_DECL time_point next(time_point after, const date::time_zone& zone) const;

    /// The next `count` fire times strictly after `after`, in increasing order, in the zone named `zone`.
    [[nodiscard]] TASKKIT_DECL std::vector<time_point> upcoming(time_point after, std::size_t count,
                                                                std::string_view zone = "UTC") const;

    /// The next `count` fire times strictly after `after`, in increasing order, in a resolved zone.
    [[nodiscard]] TASKKIT_DECL std::vector<time_point> upcoming(time_point after, std::size_t count,
                                                                const date::time_zone& zone) const;

    /// The expression as written (surrounding whitespace removed), e.g. "0 9 * * MON-FRI" or "@daily".
    [[nodiscard]] const std::string& to_string() const noexcept { return text_; }

    /// Whether the schedule selects every hour of the day (the hour field is `*`); such a schedule
    /// follows real time across daylight-saving transitions (see the class comment).
    [[nodiscard]] bool every_hour() const noexcept { return fields_.hours == detail::cron_all_hours; }

    /// Two expressions are equal when they select the same times by the same rules, however they
    /// are spelled: `0 9 * * 1-5` == `0 9 * * MON-FRI`, `@daily` == `0 0 * * *`.
    friend bool operator==(const cron& a, const cron& b) noexcept { return a.fields_ == b.fields_; }

    /// The zone with an IANA name, resolved once; the reference stays valid for the program's life.
    /// Throws cron_error when no zone has that name.
    [[nodiscard]] TASKKIT_DECL static const date::time_zone& locate_zone(std::string_view name);

    /// Whether `name` is a time zone that next() and upcoming() accept.
    [[nodiscard]] TASKKIT_DECL static bool is_valid_timezone(std::string_view name) noexcept;

private:
    cron(std::string_view text, const detail::cron_fields& fields) : text_(text), fields_(fields) {}

    [[nodiscard]] TASKKIT_DECL static std::string_view trim(std::string_view text) noexcept;

    [[nodiscard]] static std::int64_t max_seconds() noexcept {
        return std::chrono::floor<std::chrono::seconds>(time_point::max()).time_since_epoch().count();
    }

    /// The first fire instant (seconds since 1970-01-01 UTC) strictly after `after`.
    ///
    /// Walks the zone's periods of constant UTC offset from the one holding `after`. Within a period
    /// local time maps one-to-one onto real time, so the calendar search runs in local time there.
    /// Between periods: a spring-forward gap fires at its end if a selected local time falls in it,
    /// and after a fall-back the repeated local times are skipped (unless the schedule is every-hour).
    [[nodiscard]] TASKKIT_DECL std::int64_t next_instant(std::int64_t after, const date::time_zone& zone) const;

    static constexpr std::int64_t unbounded_past = -200'000'000'000;  // about year -4400: "no earlier period"

    std::string text_;
    detail::cron_fields fields_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/schedule/impl/cron.ipp>
#endif
