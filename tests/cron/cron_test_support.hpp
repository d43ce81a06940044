// Helpers for the cron tests: time points from and to UTC strings such as "2026-03-08T07:00:00Z",
// so that expected fire times are written as literals the reader can check by hand.
#pragma once

#include <taskkit/cron.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cron_test {

using time_point = std::chrono::system_clock::time_point;

/// "YYYY-MM-DDTHH:MM:SSZ" (UTC) → time point.
inline time_point utc(const std::string& text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    char z = 0;
    if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d%c", &y, &mo, &d, &h, &mi, &s, &z) != 7 || z != 'Z') {
        throw std::invalid_argument("bad UTC time in a test: " + text);
    }
    const date::sys_days day =
        date::year(y) / date::month(static_cast<unsigned>(mo)) / date::day(static_cast<unsigned>(d));
    return time_point(day) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s);
}

/// Time point → "YYYY-MM-DDTHH:MM:SSZ" (UTC); sub-second parts are not expected from cron.
inline std::string iso(time_point t) {
    const auto day = std::chrono::floor<date::days>(t);
    const date::year_month_day ymd(day);
    const auto seconds = std::chrono::floor<std::chrono::seconds>(t - day).count();
    char out[40];
    std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long long>(seconds / 3600), static_cast<long long>(seconds % 3600 / 60),
                  static_cast<long long>(seconds % 60));
    std::string text = out;
    if (t != std::chrono::floor<std::chrono::seconds>(t)) text += " (fractional)";
    return text;
}

inline std::vector<std::string> iso(const std::vector<time_point>& times) {
    std::vector<std::string> out;
    for (const auto t : times) out.push_back(iso(t));
    return out;
}

/// The first fire time after `after`, as a UTC string.
inline std::string next(std::string_view expression, const std::string& after, std::string_view zone = "UTC") {
    return iso(taskkit::cron::parse(expression).next(utc(after), zone));
}

/// The next `count` fire times after `after`, as UTC strings.
inline std::vector<std::string> upcoming(std::string_view expression, const std::string& after, std::size_t count,
                                         std::string_view zone = "UTC") {
    return iso(taskkit::cron::parse(expression).upcoming(utc(after), count, zone));
}

/// The message of the cron_error that parsing `expression` throws, or "(no error)".
inline std::string parse_error(std::string_view expression) {
    try {
        (void)taskkit::cron::parse(expression);
    } catch (const taskkit::cron_error& e) {
        if (e.code() != taskkit::error_code::invalid_cron) return "(wrong error code)";
        return e.what();
    }
    return "(no error)";
}

inline bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace cron_test
