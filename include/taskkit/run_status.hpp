/// @file run_status.hpp
/// The statuses a run passes through.
#pragma once

#include <optional>
#include <string_view>

namespace taskkit {

/// Where a run is in its life. The last six are terminal.
enum class run_status {
    delayed,    ///< triggered with a delay that has not passed yet
    queued,     ///< waiting for a queue slot, a machine and a worker
    executing,  ///< an attempt is running
    waiting,    ///< blocked on a child run or a wait; holds no queue slot and no machine
    retrying,   ///< an attempt failed and the next one is scheduled
    completed,  ///< succeeded
    failed,     ///< failed and will not be retried
    canceled,   ///< canceled before or while it ran
    timed_out,  ///< an attempt exceeded max_duration
    expired,    ///< did not start within its ttl
    crashed,    ///< its worker died (durable stores) and it could not be rescued
};

/// True for the statuses a run never leaves on its own (completed, failed, canceled, …).
[[nodiscard]] constexpr bool is_terminal(run_status status) noexcept { return status >= run_status::completed; }

/// The status's name as it appears in records and the HTTP API, e.g. "timed_out".
[[nodiscard]] constexpr std::string_view to_string(run_status status) noexcept {
    switch (status) {
        case run_status::delayed:
            return "delayed";
        case run_status::queued:
            return "queued";
        case run_status::executing:
            return "executing";
        case run_status::waiting:
            return "waiting";
        case run_status::retrying:
            return "retrying";
        case run_status::completed:
            return "completed";
        case run_status::failed:
            return "failed";
        case run_status::canceled:
            return "canceled";
        case run_status::timed_out:
            return "timed_out";
        case run_status::expired:
            return "expired";
        case run_status::crashed:
            return "crashed";
    }
    return "unknown";
}

/// Parses a status name as produced by to_string(); nullopt when it is not one.
[[nodiscard]] constexpr std::optional<run_status> parse_run_status(std::string_view name) noexcept {
    for (int i = 0; i <= static_cast<int>(run_status::crashed); ++i) {
        const auto status = static_cast<run_status>(i);
        if (to_string(status) == name) return status;
    }
    return std::nullopt;
}

}  // namespace taskkit
