/// @file detail/time_math.hpp
/// Time arithmetic that saturates at the ends of a clock's range instead of wrapping around (a
/// delay of 300 years, a ttl of milliseconds::max()). Not for users.
#pragma once

#include <chrono>
#include <limits>
#include <optional>

namespace taskkit::detail {

/// `d` in the units of `To`, clamped to To's range (a cast that would overflow gives max or min).
template <class To, class Rep, class Period>
[[nodiscard]] constexpr To saturating_cast(std::chrono::duration<Rep, Period> d) noexcept {
    // long double holds every 64-bit count exactly, so the comparison decides before any overflow.
    using wide = std::chrono::duration<long double, typename To::period>;
    const long double value = std::chrono::duration_cast<wide>(d).count();
    if (!(value == value)) return To::zero();  // NaN
    if (value >= static_cast<long double>(To::max().count())) return To::max();
    if (value <= static_cast<long double>(To::min().count())) return To::min();
    return std::chrono::duration_cast<To>(d);
}

/// `t + d`, or the clock's last (first) time point when the sum would pass it.
template <class Clock, class Duration, class Rep, class Period>
[[nodiscard]] constexpr std::chrono::time_point<Clock, Duration> saturating_add(
    std::chrono::time_point<Clock, Duration> t, std::chrono::duration<Rep, Period> d) noexcept {
    using point = std::chrono::time_point<Clock, Duration>;
    using rep = typename Duration::rep;
    const rep a = t.time_since_epoch().count();
    const rep b = saturating_cast<Duration>(d).count();
    if (b > 0 && a > std::numeric_limits<rep>::max() - b) return point::max();
    if (b < 0 && a < std::numeric_limits<rep>::min() - b) return point::min();
    return point(Duration(a + b));
}

/// A real-time deadline `timeout` from now, or none when it lies beyond the steady clock's range
/// (a wait for milliseconds::max() is a wait without a deadline).
template <class Rep, class Period>
[[nodiscard]] std::optional<std::chrono::steady_clock::time_point> deadline_after(
    std::chrono::duration<Rep, Period> timeout) noexcept {
    const auto at = saturating_add(std::chrono::steady_clock::now(), timeout);
    if (at == std::chrono::steady_clock::time_point::max()) return std::nullopt;
    return at;
}

}  // namespace taskkit::detail
