/// @file retry.hpp
/// Retry options and the backoff formula (Trigger.dev's calculateNextRetryDelay, reproduced exactly).
#pragma once

#include <taskkit/detail/config.hpp>

#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include <taskkit/error.hpp>

namespace taskkit {

/// How a failed run is retried.
/// @code
/// .retry = {.max_attempts = 10, .factor = 1.8, .min_timeout = 500ms, .max_timeout = 30s, .randomize = false}
/// @endcode
struct retry_options {
    int max_attempts = 3;                          ///< attempts in all, the first included
    double factor = 2.0;                           ///< growth of the delay per attempt
    std::chrono::milliseconds min_timeout{1000};   ///< delay after the first failure
    std::chrono::milliseconds max_timeout{60000};  ///< the delay never exceeds this (nor max_retry_delay)
    bool randomize = true;                         ///< multiply by a uniform random in [1, 2)

    /// Throws options_error when a field is out of range.
    void validate() const;
};

/// The longest delay before a retry: 100 years (of 365.25 days). Every delay — the formula's and
/// one chosen by `handle_error` (`retry_delay` or `retry_at`) — is capped at it, so that the time
/// of the retry, now + delay, is always representable: std::chrono::system_clock counts
/// nanoseconds in 64 bits on common platforms, which ends in the year 2262.
inline constexpr std::chrono::milliseconds max_retry_delay{std::chrono::milliseconds::rep{36525} * 86'400'000};

/// The delay before the next attempt, after attempt number `attempt` (1-based) failed, or
/// nullopt when no attempt is left. `random01` is a uniform random number in [0, 1) and is used
/// only when `options.randomize` is set:
///   delay = round(min(max_timeout, r * min_timeout * factor^(attempt - 1))), r = 1 + random01.
/// It is computed in double and clamped there, before converting, to [0, min(max_timeout,
/// max_retry_delay)]: a factor or attempt that grows past a double's range gives the cap, never a
/// negative or wrapped delay; `0 ms × an infinite growth` is 0; a random01 outside [0, 1) (or NaN)
/// is clamped into it.
[[nodiscard]] std::optional<std::chrono::milliseconds> retry_delay(const retry_options& options, int attempt,
                                                                   double random01 = 0.0);

namespace detail {
/// A uniform random number in [0, 1) from a generator of the calling thread (seeded once).
[[nodiscard]] double thread_random01();

/// `delay` clamped to [0, max_retry_delay] (handle_error's retry_delay).
[[nodiscard]] std::chrono::milliseconds clamp_retry_delay(std::chrono::milliseconds delay) noexcept;

/// The delay from `now` until `at`, in whole milliseconds (truncated), clamped to
/// [0, max_retry_delay]; no intermediate value overflows, whatever the two times (handle_error's
/// retry_at).
[[nodiscard]] std::chrono::milliseconds retry_delay_until(std::chrono::system_clock::time_point at,
                                                          std::chrono::system_clock::time_point now) noexcept;
}  // namespace detail

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/retry.ipp>
#endif
