/// @file logger.hpp
/// The logger of a run: levelled, structured, kept on the run record and passed to a sink.
#pragma once

#include <taskkit/detail/config.hpp>

#include <cstddef>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <taskkit/clock.hpp>
#include <taskkit/run_record.hpp>

namespace taskkit {

namespace detail {
struct run_state;
}  // namespace detail

/// Receives every log line of every run (after it is stored on the run record). Called from the
/// thread that logged, so it must be thread-safe. An exception it throws is recorded on the run's
/// `hook_errors` ("log_sink threw: …") and goes no further.
using log_sink = std::function<void(const log_entry&)>;

/// A sink writing `level task-id run-id: message {attributes}` lines to stderr, for lines at or
/// above `min_level`. The default sink of a runtime.
[[nodiscard]] log_sink stderr_log_sink(log_level min_level = log_level::info);

/// A sink that drops everything (the lines are still kept on the run record).
[[nodiscard]] inline log_sink null_log_sink() {
    return [](const log_entry&) {};
}

/// Writes log lines for one run attempt. Obtained from `ctx.logger()`.
/// @code
/// ctx.logger().info("charging {} cents", amount);
/// ctx.logger().with({{"user", user_id}}).warn("card declined");
/// @endcode
class logger {
public:
    /// Where lines go; filled in by the runtime.
    struct target {
        detail::run_state* run = nullptr;
        const log_sink* sink = nullptr;
        const clock* time = nullptr;
        std::size_t max_entries = 1000;
        int attempt = 0;
    };

    logger() = default;
    /// `attributes` is a JSON object, or null for none (no allocation: a logger is made per attempt).
    explicit logger(target t, nlohmann::json attributes = nullptr);

    template <class... Args>
    void debug(fmt::format_string<Args...> format, Args&&... args) const {
        log(log_level::debug, fmt::format(format, std::forward<Args>(args)...));
    }
    template <class... Args>
    void info(fmt::format_string<Args...> format, Args&&... args) const {
        log(log_level::info, fmt::format(format, std::forward<Args>(args)...));
    }
    template <class... Args>
    void warn(fmt::format_string<Args...> format, Args&&... args) const {
        log(log_level::warn, fmt::format(format, std::forward<Args>(args)...));
    }
    template <class... Args>
    void error(fmt::format_string<Args...> format, Args&&... args) const {
        log(log_level::error, fmt::format(format, std::forward<Args>(args)...));
    }

    /// A logger that adds `attributes` (a JSON object) to every line it writes.
    [[nodiscard]] logger with(const nlohmann::json& attributes) const;

    /// Writes one line with the given level, message and extra attributes.
    void log(log_level level, std::string message, const nlohmann::json& attributes = detail::empty_object()) const;

private:
    target target_;
    nlohmann::json attributes_;  // an object, or null for none
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/logger.ipp>
#endif
