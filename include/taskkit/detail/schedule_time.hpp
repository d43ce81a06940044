/// @file detail/schedule_time.hpp
/// taskkit::schedule_time: an instant that prints and serialises as ISO 8601 UTC. Included by
/// <taskkit/schedule.hpp>; use it through that header.
#pragma once

#include <algorithm>
#include <chrono>
#include <compare>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>

#include <date/date.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <taskkit/error.hpp>
#include <taskkit/run_record.hpp>

namespace taskkit {

/// An instant of a schedule (a fire time): a `std::chrono::system_clock` time point that prints
/// in UTC as ISO 8601 ("2026-03-08T14:00:00Z") with fmt, with `<<` and in JSON, whatever the
/// fmt version or the process's local time zone. Converts implicitly to and from `time_point`.
/// @code
/// ctx.logger().info("fired for {}", payload.timestamp);           // 2026-03-08T14:00:00Z
/// taskkit::time_point t = payload.timestamp;                      // back to a time_point
/// auto an_hour_later = payload.timestamp.time() + std::chrono::hours(1);
/// @endcode
class schedule_time {
public:
    constexpr schedule_time() noexcept = default;
    constexpr schedule_time(time_point t) noexcept : time_(t) {}  // NOLINT(google-explicit-constructor)

    constexpr operator time_point() const noexcept { return time_; }  // NOLINT(google-explicit-constructor)

    /// The instant as a `std::chrono::system_clock::time_point`.
    [[nodiscard]] constexpr time_point time() const noexcept { return time_; }

    /// ISO 8601 in UTC, whole seconds: "2026-03-08T14:00:00Z".
    [[nodiscard]] std::string to_string() const {
        return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(time_));
    }

    /// Parses what to_string() writes ("YYYY-MM-DDTHH:MM:SSZ"); throws payload_error otherwise.
    [[nodiscard]] static schedule_time parse(std::string_view text) {
        std::istringstream in{std::string(text)};
        date::sys_seconds seconds{};
        in >> date::parse("%FT%TZ", seconds);
        if (in.fail() || in.peek() != std::char_traits<char>::eof())
            throw payload_error("invalid schedule time \"" + std::string(text) +
                                "\": expected ISO 8601 in UTC such as \"2026-03-08T14:00:00Z\"");
        return schedule_time(time_point(seconds));
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
inline void to_json(nlohmann::json& j, const schedule_time& t) { j = t.to_string(); }

/// JSON: an ISO 8601 string in UTC, or milliseconds since the Unix epoch.
inline void from_json(const nlohmann::json& j, schedule_time& t) {
    if (j.is_number_integer()) {
        t = schedule_time(time_point(std::chrono::milliseconds(j.get<std::int64_t>())));
    } else {
        t = schedule_time::parse(j.get<std::string>());
    }
}

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

/// `{}` prints an optional schedule_time (a payload's last_timestamp) as ISO 8601, or "none".
template <>
struct fmt::formatter<std::optional<taskkit::schedule_time>> : taskkit::detail::schedule_time_formatter_base {
    template <class Context>
    auto format(const std::optional<taskkit::schedule_time>& t, Context& ctx) const -> decltype(ctx.out()) {
        const std::string text = t ? t->to_string() : std::string("none");
        return std::copy(text.begin(), text.end(), ctx.out());
    }
};
