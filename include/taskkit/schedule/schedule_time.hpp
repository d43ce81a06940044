/// @file schedule/schedule_time.hpp
/// taskkit::schedule_time: an instant that prints and serialises as ISO 8601 UTC (the times of
/// schedule_payload and schedule_info).
#pragma once

#include <taskkit/schedule/detail/config.hpp>

#include <algorithm>
#include <chrono>
#include <compare>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <taskkit/error.hpp>
#include <taskkit/run_record.hpp>

namespace taskkit {

/// An instant of a schedule (a fire time, and every time of a schedule_payload or schedule_info):
/// a `std::chrono::system_clock` time point that prints in UTC as ISO 8601
/// ("2026-03-08T14:00:00Z") with fmt, with `<<` and in JSON, whatever the fmt version or the
/// process's local time zone. Converts implicitly to and from `time_point`, compares with both,
/// and adds and subtracts durations like a time point.
/// @code
/// ctx.logger().info("fired for {}", payload.timestamp);           // 2026-03-08T14:00:00Z
/// taskkit::time_point t = payload.timestamp;                      // back to a time_point
/// auto an_hour_later = payload.timestamp + std::chrono::hours(1);   // a schedule_time
/// @endcode
class schedule_time {
public:
    constexpr schedule_time() noexcept = default;
    constexpr schedule_time(time_point t) noexcept : time_(t) {}  // NOLINT(google-explicit-constructor)

    constexpr operator time_point() const noexcept { return time_; }  // NOLINT(google-explicit-constructor)

    /// The instant as a `std::chrono::system_clock::time_point`.
    [[nodiscard]] constexpr time_point time() const noexcept { return time_; }

    /// ISO 8601 in UTC, whole seconds: "2026-03-08T14:00:00Z".
    [[nodiscard]] TASKKIT_DECL std::string to_string() const;

    /// Parses what to_string() writes ("YYYY-MM-DDTHH:MM:SSZ"); throws payload_error otherwise.
    [[nodiscard]] TASKKIT_DECL static schedule_time parse(std::string_view text);

    /// Arithmetic as on time points: `t + std::chrono::hours(1)`, `t -= 5min`, and `a - b` (with
    /// `b` a schedule_time or a time_point) gives the duration between two instants.
    constexpr schedule_time& operator+=(time_point::duration d) noexcept {
        time_ += d;
        return *this;
    }
    constexpr schedule_time& operator-=(time_point::duration d) noexcept {
        time_ -= d;
        return *this;
    }
    friend constexpr schedule_time operator+(schedule_time t, time_point::duration d) noexcept { return t += d; }
    friend constexpr schedule_time operator+(time_point::duration d, schedule_time t) noexcept { return t += d; }
    friend constexpr schedule_time operator-(schedule_time t, time_point::duration d) noexcept { return t -= d; }
    friend constexpr time_point::duration operator-(const schedule_time& a, const schedule_time& b) noexcept {
        return a.time_ - b.time_;
    }

    friend constexpr bool operator==(const schedule_time& a, const schedule_time& b) noexcept {
        return a.time_ == b.time_;
    }
    friend constexpr auto operator<=>(const schedule_time& a, const schedule_time& b) noexcept {
        return a.time_ <=> b.time_;
    }
    friend std::ostream& operator<<(std::ostream& out, const schedule_time& t) { return out << t.to_string(); }

private:
    time_point time_{};
};

/// JSON: the ISO 8601 string.
TASKKIT_DECL void to_json(nlohmann::json& j, const schedule_time& t);

/// JSON: an ISO 8601 string in UTC, or milliseconds since the Unix epoch.
TASKKIT_DECL void from_json(const nlohmann::json& j, schedule_time& t);

namespace detail {
/// A trivial `{}`-only fmt formatter base (works with fmt 8 to 11).
struct schedule_time_formatter_base {
    constexpr auto parse(fmt::format_parse_context& ctx) -> decltype(ctx.begin()) {
        auto it = ctx.begin();
        if (it != ctx.end() && *it != '}') throw fmt::format_error("schedule_time takes no format spec: use {}");
        return it;
    }
};
}  // namespace detail

}  // namespace taskkit

/// `{}` prints a schedule_time as ISO 8601 UTC.
template <>
struct fmt::formatter<taskkit::schedule_time> : taskkit::detail::schedule_time_formatter_base {
    template <class Context>
    auto format(const taskkit::schedule_time& t, Context& ctx) const -> decltype(ctx.out()) {
        const std::string text = t.to_string();
        return std::copy(text.begin(), text.end(), ctx.out());
    }
};

/// `{}` prints an optional schedule_time (a payload's last_timestamp, a schedule_info's
/// next_timestamp and last_timestamp) as ISO 8601, or "none".
template <>
struct fmt::formatter<std::optional<taskkit::schedule_time>> : taskkit::detail::schedule_time_formatter_base {
    template <class Context>
    auto format(const std::optional<taskkit::schedule_time>& t, Context& ctx) const -> decltype(ctx.out()) {
        const std::string text = t ? t->to_string() : std::string("none");
        return std::copy(text.begin(), text.end(), ctx.out());
    }
};

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/schedule/impl/schedule_time.ipp>
#endif
