/// @file run_record.hpp
/// A run as data: what the runs API, stores and the HTTP API read and write.
#pragma once

#include <taskkit/detail/config.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/error.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/run_status.hpp>
#include <taskkit/wait_info.hpp>

namespace taskkit {

using time_point = std::chrono::system_clock::time_point;

/// Why a run or an attempt failed.
struct error_info {
    std::string type;                ///< the exception's kind, e.g. "std::runtime_error" or "taskkit::abort_run"
    std::string message;             ///< what() of the exception
    std::optional<error_code> code;  ///< set for taskkit's own errors
    std::exception_ptr exception;    ///< the original exception, when it is still in memory

    /// Rethrows the original exception, or a run_failed_error carrying the message.
    [[noreturn]] void rethrow() const;
};

/// Severity of a log line.
enum class log_level { debug, info, warn, error };

[[nodiscard]] constexpr std::string_view to_string(log_level level) noexcept {
    switch (level) {
        case log_level::debug:
            return "debug";
        case log_level::info:
            return "info";
        case log_level::warn:
            return "warn";
        case log_level::error:
            return "error";
    }
    return "info";
}

namespace detail {
/// An empty JSON object. `nlohmann::json::object()` builds one from an initializer list, whose
/// machinery every file that includes taskkit would instantiate; this constructor is no template.
inline nlohmann::json empty_object() { return nlohmann::json(nlohmann::json::value_t::object); }
}  // namespace detail

/// One line written through a run's logger.
struct log_entry {
    time_point time;
    log_level level = log_level::info;
    std::string message;
    nlohmann::json attributes = detail::empty_object();  ///< structured attributes
    std::string run_id;
    std::string task_id;
    int attempt = 0;
};

/// One attempt of a run.
struct attempt_record {
    int number = 0;
    time_point started_at;
    std::optional<time_point> finished_at;
    std::optional<error_info> error;  ///< set when the attempt failed
};

/// One of a run's streams (ctx.stream): the chunks kept, oldest first. A stream keeps its most
/// recent runtime_options::max_stream_chunks chunks; `dropped` counts those before them, so
/// chunks[i] is the stream's chunk number dropped + i.
struct stream_record {
    std::vector<nlohmann::json> chunks;
    std::size_t dropped = 0;
};

/// A snapshot of a run: everything the runtime knows about it at one moment.
struct run_record {
    std::string id;
    std::string task_id;
    run_status status = run_status::queued;
    nlohmann::json payload;
    nlohmann::json output;            ///< null until completed (and for tasks returning void)
    std::optional<error_info> error;  ///< why it failed, timed out, was canceled or expired
    std::vector<attempt_record> attempts;
    std::string queue;
    machine machine_spec;
    std::vector<std::string> tags;
    nlohmann::json metadata = detail::empty_object();
    std::string concurrency_key;  ///< empty when none
    int priority = 0;
    std::string idempotency_key;        ///< empty when none
    std::string batch_id;               ///< set for runs of a batch
    std::string parent_id;              ///< empty for a root run
    std::vector<std::string> children;  ///< ids of runs triggered from this one
    time_point created_at;
    std::optional<time_point> started_at;
    std::optional<time_point> finished_at;
    std::optional<time_point> run_at;     ///< when a delayed or retrying run is due
    std::vector<log_entry> logs;          ///< the most recent lines (bounded)
    std::size_t dropped_logs = 0;         ///< lines dropped by the bound
    std::vector<error_info> hook_errors;  ///< exceptions thrown by lifecycle hooks
    /// The run's streams by name (ctx.stream), each bounded like the logs.
    std::map<std::string, stream_record, std::less<>> streams;
    /// What the run waits for while it is `waiting` inside an attempt (a duration, runs, a batch,
    /// a token); empty otherwise, and again once the run executes on.
    std::optional<wait_info> waiting_for;
};

namespace detail {
std::int64_t to_millis(time_point t);
nlohmann::json optional_millis(const std::optional<time_point>& t);
}  // namespace detail

void to_json(nlohmann::json& j, const error_info& e);

void to_json(nlohmann::json& j, const log_entry& e);

void to_json(nlohmann::json& j, const attempt_record& a);

void to_json(nlohmann::json& j, const stream_record& s);

/// {"kind", "until" (ms since the Unix epoch, or null), "run_ids", "batch_id" and "token_id"
/// (null when empty), "any"}.
void to_json(nlohmann::json& j, const wait_info& w);

/// The record as JSON; times are milliseconds since the Unix epoch.
void to_json(nlohmann::json& j, const run_record& r);

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/run_record.ipp>
#endif
