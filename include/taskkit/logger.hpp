/// @file logger.hpp
/// The logger of a run: levelled, structured, kept on the run record and passed to a sink.
#pragma once

#include <cstddef>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <taskkit/clock.hpp>
#include <taskkit/detail/run_state.hpp>
#include <taskkit/run_record.hpp>

namespace taskkit {

/// Receives every log line of every run (after it is stored on the run record). Called from the
/// thread that logged, so it must be thread-safe.
using log_sink = std::function<void(const log_entry&)>;

/// A sink writing `level task-id run-id: message {attributes}` lines to stderr, for lines at or
/// above `min_level`. The default sink of a runtime.
[[nodiscard]] inline log_sink stderr_log_sink(log_level min_level = log_level::info) {
    return [min_level](const log_entry& e) {
        if (e.level < min_level) return;
        std::string line = fmt::format("{:<5} {} {}: {}", to_string(e.level), e.task_id, e.run_id, e.message);
        if (!e.attributes.empty()) line += " " + e.attributes.dump();
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stderr);  // one write per line keeps lines whole
    };
}

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
    explicit logger(target t, nlohmann::json attributes = nullptr) : target_(t), attributes_(std::move(attributes)) {}

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
    [[nodiscard]] logger with(const nlohmann::json& attributes) const {
        nlohmann::json merged = attributes_.is_object() ? attributes_ : nlohmann::json::object();
        if (attributes.is_object()) merged.update(attributes);
        return logger(target_, std::move(merged));
    }

    /// Writes one line with the given level, message and extra attributes.
    void log(log_level level, std::string message, const nlohmann::json& attributes = nlohmann::json::object()) const {
        log_entry entry;
        entry.time = target_.time ? target_.time->now() : std::chrono::system_clock::now();
        entry.level = level;
        entry.message = std::move(message);
        entry.attributes = attributes_.is_object() ? attributes_ : nlohmann::json::object();
        if (attributes.is_object()) entry.attributes.update(attributes);
        entry.attempt = target_.attempt;
        if (auto* run = target_.run) {
            entry.run_id = run->id;
            entry.task_id = std::string(run->task_id);
            std::lock_guard lock(run->mutex);
            auto& extras = run->extras();
            if (target_.max_entries == 0) {
                ++extras.dropped_logs;
            } else {
                if (extras.logs.size() >= target_.max_entries) {  // keep the most recent lines
                    extras.logs.erase(extras.logs.begin());
                    ++extras.dropped_logs;
                }
                extras.logs.push_back(entry);
            }
        }
        if (target_.sink && *target_.sink) (*target_.sink)(entry);
    }

private:
    target target_;
    nlohmann::json attributes_;  // an object, or null for none
};

}  // namespace taskkit
