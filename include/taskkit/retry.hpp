/// @file retry.hpp
/// Retry options and the backoff formula (Trigger.dev's calculateNextRetryDelay, reproduced exactly).
#pragma once

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
    void validate() const {
        if (max_attempts < 1)
            throw options_error("retry.max_attempts must be at least 1 (got " + std::to_string(max_attempts) + ")");
        if (!(factor > 0) || !std::isfinite(factor))
            throw options_error("retry.factor must be a finite number greater than 0");
        if (min_timeout.count() < 0) throw options_error("retry.min_timeout must not be negative");
        if (max_timeout < min_timeout) throw options_error("retry.max_timeout must not be less than retry.min_timeout");
    }
};

/// The delay before the next attempt, after attempt number `attempt` (1-based) failed, or
/// nullopt when no attempt is left. `random01` is a uniform random number in [0, 1) and is used
/// only when `options.randomize` is set:
///   delay = round(min(max_timeout, r * min_timeout * factor^(attempt - 1))), r = 1 + random01.
[[nodiscard]] inline std::optional<std::chrono::milliseconds> retry_delay(const retry_options& options, int attempt,
                                                                          double random01 = 0.0) {
    if (attempt >= options.max_attempts) return std::nullopt;
    const double r = options.randomize ? 1.0 + random01 : 1.0;
    const double raw = r * static_cast<double>(options.min_timeout.count()) *
                       std::pow(options.factor, static_cast<double>(attempt - 1));
    const double capped = std::min(static_cast<double>(options.max_timeout.count()), raw);
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(std::llround(capped)));
}

}  // namespace taskkit
