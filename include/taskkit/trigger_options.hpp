/// @file trigger_options.hpp
/// Options given when a run is triggered.
#pragma once

#include <taskkit/detail/config.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/debounce.hpp>
#include <taskkit/detail/time_math.hpp>
#include <taskkit/error.hpp>
#include <taskkit/machine.hpp>

namespace taskkit {

/// When a delayed run may start: after a duration from the trigger, or at a time point.
/// @code
/// {.delay = std::chrono::minutes(5)}
/// {.delay = std::chrono::system_clock::now() + std::chrono::hours(1)}
/// @endcode
class run_delay {
public:
    run_delay() = default;
    template <class Rep, class Period>
    run_delay(std::chrono::duration<Rep, Period> d)  // NOLINT(google-explicit-constructor)
        : value_(detail::saturating_cast<std::chrono::milliseconds>(d)) {}
    run_delay(std::chrono::system_clock::time_point at);  // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool empty() const noexcept;

    /// The time the run becomes due, given the trigger time `now` (no later than `now` when empty).
    [[nodiscard]] std::chrono::system_clock::time_point due(std::chrono::system_clock::time_point now) const;

    /// A negative duration is the only invalid delay (a time point in the past means "now").
    [[nodiscard]] bool negative() const;

private:
    std::variant<std::monostate, std::chrono::milliseconds, std::chrono::system_clock::time_point> value_;
};

/// Per-run options: `task.trigger(payload, {.delay = 5min, .tags = {"user_42"}})`.
struct trigger_options {
    /// A second trigger of the same task with the same key, within the key's ttl, returns the
    /// first run's handle (is_cached()) and starts nothing. Keys of runs that failed are released.
    std::string idempotency_key;
    std::optional<std::chrono::milliseconds> idempotency_key_ttl;  ///< default 30 days
    /// Where the key is unique: unset means idempotency_scope::run inside a run (a retried parent
    /// re-uses its children) and idempotency_scope::global outside one.
    std::optional<taskkit::idempotency_scope> idempotency_scope;
    run_delay delay;  ///< start no earlier than this (status delayed)
    /// Collapse triggers with the same key into one delayed run (debounce.hpp); not with `.delay`.
    debounce_options debounce;
    std::optional<std::chrono::milliseconds> ttl;  ///< not started within this → expired
    std::vector<std::string> tags;                 ///< at most 10, each 1–128 characters
    nlohmann::json metadata;                       ///< a JSON object kept on the record (null: none)
    std::string queue;                             ///< run on this declared queue instead of the task's
    std::string concurrency_key;                   ///< a copy of the queue per key value
    /// Seconds of head start: the run goes ahead of runs without priority triggered up to this
    /// many seconds earlier.
    int priority = 0;
    std::optional<int> max_attempts;                        ///< overrides the task's retry.max_attempts
    std::optional<std::chrono::milliseconds> max_duration;  ///< overrides the task's max_duration
    std::optional<taskkit::machine> machine;                ///< overrides the task's machine

    static constexpr std::size_t max_tags = 10;
    static constexpr std::size_t max_tag_length = 128;

    /// Throws options_error when a field is out of range.
    void validate() const;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/trigger_options.ipp>
#endif
