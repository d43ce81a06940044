// The failures of the crash test at scale (tests/sqlite/crash_scale_test.cpp), shared by the test
// and its worker processes (tests/sqlite/helpers/worker_child.cpp): which attempts of a run throw
// is decided from its payload and the attempt's number alone, so the test knows every run's
// outcome in advance, whatever process executes which attempt.
#pragma once

#include <chrono>
#include <cstdint>

namespace crash_scale {

/// Every run of the test's task "work" has this many attempts, crashed ones included.
inline constexpr int max_attempts = 4;
/// The retry delay: 20 ms after the first failure, then 40 ms, 80 ms (no randomness).
inline constexpr auto retry_min_timeout = std::chrono::milliseconds(20);
inline constexpr double retry_factor = 2.0;
inline constexpr auto retry_max_timeout = std::chrono::milliseconds(200);

/// How a run fails: its first `failing_attempts` attempts throw, or every attempt does.
struct plan {
    int failing_attempts = 0;
    bool always = false;

    /// Whether attempt `number` (1-based, counting crashed attempts too) throws.
    [[nodiscard]] constexpr bool fails(int number) const noexcept { return always || number <= failing_attempts; }
};

/// The plan of the run with payload `n`: 2% fail every attempt, 10% fail their first attempt,
/// 10% their first two, the rest never (a multiplicative hash spreads them over the payloads).
[[nodiscard]] constexpr plan plan_of(int n) noexcept {
    const auto hashed = static_cast<std::uint32_t>(static_cast<std::uint32_t>(n) * 2654435761U);
    const auto bucket = (hashed >> 8) % 100;
    if (bucket < 2) return {.failing_attempts = max_attempts, .always = true};
    if (bucket < 12) return {.failing_attempts = 1};
    if (bucket < 22) return {.failing_attempts = 2};
    return {};
}

}  // namespace crash_scale
