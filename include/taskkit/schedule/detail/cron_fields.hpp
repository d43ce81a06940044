/// @file schedule/detail/cron_fields.hpp
/// The parsed form of a cron expression and the calendar search over local (wall-clock) time.
/// Internal to taskkit::cron: no time zones here, only civil dates and bit sets.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>

namespace taskkit::detail {

/// The five fields of a cron expression as bit sets (bit n set = value n allowed).
struct cron_fields {
    std::uint64_t minutes = 0;         ///< bits 0-59
    std::uint32_t hours = 0;           ///< bits 0-23
    std::uint32_t days = 0;            ///< bits 1-31 (day of month)
    std::uint16_t months = 0;          ///< bits 1-12
    std::uint8_t weekdays = 0;         ///< bits 0-6, 0 = Sunday
    std::uint8_t last_weekdays = 0;    ///< bits 0-6: the last such weekday of the month (`5L`)
    bool last_day = false;             ///< `L` in day-of-month: the last day of the month
    bool days_restricted = false;      ///< day-of-month is not `*` or `?`
    bool weekdays_restricted = false;  ///< day-of-week is not `*` or `?`

    friend bool operator==(const cron_fields&, const cron_fields&) = default;
};

inline constexpr std::uint64_t cron_all_minutes = (std::uint64_t{1} << 60) - 1;
inline constexpr std::uint32_t cron_all_hours = (std::uint32_t{1} << 24) - 1;
inline constexpr std::uint32_t cron_all_days = 0xFFFF'FFFEu;  // bits 1-31
inline constexpr std::uint16_t cron_all_months = 0x1FFE;      // bits 1-12
inline constexpr std::uint8_t cron_all_weekdays = 0x7F;       // bits 0-6

inline constexpr std::int64_t seconds_per_day = 86'400;

/// Floor division for possibly negative numerators (dates before 1970).
[[nodiscard]] constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
[[nodiscard]] constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = floor_div(y, 400);
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// A civil date.
struct civil_date {
    std::int64_t year;
    unsigned month;  ///< 1-12
    unsigned day;    ///< 1-31
};

/// The civil date of a count of days since 1970-01-01 (Howard Hinnant's civil_from_days).
[[nodiscard]] constexpr civil_date civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = floor_div(z, 146097);
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

/// Day of week (0 = Sunday) of a count of days since 1970-01-01 (a Thursday).
[[nodiscard]] constexpr unsigned weekday_from_days(std::int64_t z) noexcept {
    return static_cast<unsigned>(z - floor_div(z + 4, 7) * 7 + 4);
}

[[nodiscard]] constexpr bool is_leap_year(std::int64_t y) noexcept {
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

[[nodiscard]] constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
    constexpr unsigned lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap_year(y) ? 29u : lengths[m - 1];
}

/// The days (bits 1-31) of month m of year y that the day-of-month and day-of-week fields select,
/// combined with the classic rule: when both are restricted a day matches if either matches.
[[nodiscard]] constexpr std::uint32_t cron_day_mask(const cron_fields& f, std::int64_t y, unsigned m) noexcept {
    const unsigned last = days_in_month(y, m);
    const std::uint32_t in_month = ((std::uint32_t{1} << last) - 1) << 1;  // bits 1..last
    std::uint32_t by_day = f.days;
    if (f.last_day) by_day |= std::uint32_t{1} << last;
    by_day &= in_month;

    const unsigned first_weekday = weekday_from_days(days_from_civil(y, m, 1));
    // Days 1, 8, 15, 22, 29: the days that share day 1's weekday.
    constexpr std::uint32_t weekly = (1u << 1) | (1u << 8) | (1u << 15) | (1u << 22) | (1u << 29);
    std::uint32_t by_weekday = 0;
    const unsigned last_weekday = (first_weekday + last - 1) % 7;
    for (unsigned w = 0; w < 7; ++w) {
        if (f.weekdays & (1u << w)) by_weekday |= weekly << ((w + 7 - first_weekday) % 7);
        if (f.last_weekdays & (1u << w)) by_weekday |= std::uint32_t{1} << (last - (last_weekday + 7 - w) % 7);
    }
    by_weekday &= in_month;

    const bool either = f.days_restricted && f.weekdays_restricted;
    return either ? (by_day | by_weekday) : (by_day & by_weekday);
}

/// The first whole minute at or after `from` (local seconds since 1970-01-01, wall-clock time)
/// that the fields select, if it is before `limit`. Field by field: month, day, hour, minute.
[[nodiscard]] constexpr std::optional<std::int64_t> cron_next_local(const cron_fields& f, std::int64_t from,
                                                                    std::int64_t limit) noexcept {
    const std::int64_t start = floor_div(from + 59, 60) * 60;  // round up to a whole minute
    if (start >= limit) return std::nullopt;
    const std::int64_t start_day = floor_div(start, seconds_per_day);
    const auto second_of_day = static_cast<unsigned>(start - start_day * seconds_per_day);
    civil_date date = civil_from_days(start_day);
    unsigned from_day = date.day;
    unsigned from_hour = second_of_day / 3600;
    unsigned from_minute = second_of_day % 3600 / 60;

    for (;;) {
        const std::int64_t month_start = days_from_civil(date.year, date.month, 1);
        if (month_start * seconds_per_day >= limit) return std::nullopt;
        if (f.months & (1u << date.month)) {
            std::uint32_t days = cron_day_mask(f, date.year, date.month) & (~std::uint32_t{0} << from_day);
            while (days != 0) {
                const auto day = static_cast<unsigned>(std::countr_zero(days));
                const bool first_day = day == from_day;
                const unsigned min_hour = first_day ? from_hour : 0;
                std::uint32_t hours = f.hours & (~std::uint32_t{0} << min_hour);
                while (hours != 0) {
                    const auto hour = static_cast<unsigned>(std::countr_zero(hours));
                    const unsigned min_minute = first_day && hour == from_hour ? from_minute : 0;
                    const std::uint64_t minutes = f.minutes & (~std::uint64_t{0} << min_minute);
                    if (minutes != 0) {
                        const auto minute = static_cast<unsigned>(std::countr_zero(minutes));
                        const std::int64_t result =
                            (month_start + day - 1) * seconds_per_day + hour * 3600 + minute * 60;
                        if (result >= limit) return std::nullopt;
                        return result;
                    }
                    hours &= hours - 1;
                }
                days &= days - 1;
            }
        }
        from_day = 1;
        from_hour = 0;
        from_minute = 0;
        if (++date.month > 12) {
            date.month = 1;
            ++date.year;
        }
    }
}

}  // namespace taskkit::detail
