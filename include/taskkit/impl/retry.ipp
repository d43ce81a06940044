/// @file impl/retry.ipp
/// The definitions of what <taskkit/retry.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/retry.hpp>

#include <algorithm>
#include <limits>
#include <random>

namespace taskkit {

TASKKIT_DECL auto retry_options::validate() const -> void {
    if (max_attempts < 1)
        throw options_error("retry.max_attempts must be at least 1 (got " + std::to_string(max_attempts) + ")");
    if (!(factor > 0) || !std::isfinite(factor))
        throw options_error("retry.factor must be a finite number greater than 0");
    if (min_timeout.count() < 0) throw options_error("retry.min_timeout must not be negative");
    if (max_timeout < min_timeout) throw options_error("retry.max_timeout must not be less than retry.min_timeout");
}

TASKKIT_DECL std::optional<std::chrono::milliseconds> retry_delay(const retry_options& options, int attempt,
                                                                  double random01) {
    if (attempt >= options.max_attempts) return std::nullopt;
    // In double, clamped before converting: a growth past the range of a double is +inf, and
    // converting anything beyond the range of the integer (2^63 ms and more) is undefined; it used
    // to come out as -2^63 ms, a retry at once.
    const double jitter = std::isnan(random01) ? 0.0 : std::clamp(random01, 0.0, 1.0);
    const double r = options.randomize ? 1.0 + jitter : 1.0;
    const auto min_ms = static_cast<double>(options.min_timeout.count());
    double raw = r * min_ms * std::pow(options.factor, static_cast<double>(attempt - 1));
    if (std::isnan(raw)) raw = 0.0;  // 0 ms times an infinite growth (or options never validated)
    const double cap =
        std::min(static_cast<double>(options.max_timeout.count()), static_cast<double>(max_retry_delay.count()));
    const double capped = std::clamp(raw, 0.0, std::max(cap, 0.0));
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(std::llround(capped)));
}

TASKKIT_DECL std::chrono::milliseconds detail::clamp_retry_delay(std::chrono::milliseconds delay) noexcept {
    return std::clamp(delay, std::chrono::milliseconds(0), max_retry_delay);
}

TASKKIT_DECL std::chrono::milliseconds detail::retry_delay_until(std::chrono::system_clock::time_point at,
                                                                 std::chrono::system_clock::time_point now) noexcept {
    using duration = std::chrono::system_clock::duration;
    if (at <= now) return std::chrono::milliseconds(0);
    // at - now overflows only when `now` is before the epoch and `at` far after it.
    const auto cap = std::chrono::duration_cast<duration>(max_retry_delay);
    const auto a = at.time_since_epoch().count();
    const auto n = now.time_since_epoch().count();
    if (n < 0 && a > std::numeric_limits<duration::rep>::max() + n) return max_retry_delay;
    const duration gap = at - now;
    return gap >= cap ? max_retry_delay : std::chrono::duration_cast<std::chrono::milliseconds>(gap);
}

TASKKIT_DECL double detail::thread_random01() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace taskkit
