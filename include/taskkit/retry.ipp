/// @file retry.ipp
/// The definitions of what <taskkit/retry.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/retry.hpp>

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
    const double r = options.randomize ? 1.0 + random01 : 1.0;
    const double raw = r * static_cast<double>(options.min_timeout.count()) *
                       std::pow(options.factor, static_cast<double>(attempt - 1));
    const double capped = std::min(static_cast<double>(options.max_timeout.count()), raw);
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(std::llround(capped)));
}

TASKKIT_DECL double detail::thread_random01() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace taskkit
