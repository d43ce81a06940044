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
    std::chrono::milliseconds max_timeout{60000};  ///< the delay never exceeds this
    bool randomize = true;                         ///< multiply by a uniform random in [1, 2)

    /// Throws options_error when a field is out of range.
    void validate() const;
};

/// The delay before the next attempt, after attempt number `attempt` (1-based) failed, or
/// nullopt when no attempt is left. `random01` is a uniform random number in [0, 1) and is used
/// only when `options.randomize` is set:
///   delay = round(min(max_timeout, r * min_timeout * factor^(attempt - 1))), r = 1 + random01.
[[nodiscard]] std::optional<std::chrono::milliseconds> retry_delay(const retry_options& options, int attempt,
                                                                   double random01 = 0.0);

namespace detail {
/// A uniform random number in [0, 1) from a generator of the calling thread (seeded once).
[[nodiscard]] double thread_random01();
}  // namespace detail

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/retry.ipp>
#endif
