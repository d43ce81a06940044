/// @file debounce.hpp
/// Debounce and idempotency scopes: trigger options that make several triggers answer one run.
#pragma once

#include <taskkit/detail/config.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace taskkit {

/// Which payload a debounced run starts with.
enum class debounce_mode {
    leading,   ///< the first trigger's payload (the default, as Trigger.dev's)
    trailing,  ///< the last trigger's payload, replacing the one stored before the run starts
};

/// Collapses triggers of one task with the same key into one delayed run.
/// @code
/// reindex.trigger(user, {.debounce = {.key = "user-42", .delay = 5s, .max_delay = 1min,
///                                     .mode = taskkit::debounce_mode::trailing}});
/// @endcode
/// The first trigger with the key creates a run delayed by `delay`. A trigger with the same key
/// (for the same task) while that run is still delayed creates nothing: it moves the run's start
/// to `delay` after itself, never later than `max_delay` after the first trigger, and answers a
/// handle to that run (the same id). Once the run has left `delayed` (it is queued, executing or
/// ended), the next trigger with the key starts a new window. Left empty (no key, no delay), a
/// trigger is not debounced.
struct debounce_options {
    std::string key;                                     ///< per task; required when debouncing
    std::chrono::milliseconds delay{0};                  ///< > 0: the quiet time before the run starts
    std::optional<std::chrono::milliseconds> max_delay;  ///< >= delay: the latest start after the first trigger
    debounce_mode mode = debounce_mode::leading;

    /// True when any field is set (the trigger asks for debounce).
    [[nodiscard]] bool enabled() const noexcept { return !key.empty() || delay.count() != 0 || max_delay.has_value(); }
};

/// Where an idempotency key is unique (Trigger.dev's idempotency key scopes).
enum class idempotency_scope {
    global,   ///< across the task: any trigger with the key (the default outside a run)
    run,      ///< within the parent run: a retried parent finds its children (the default inside a run)
    attempt,  ///< within the parent's attempt: each attempt of the parent triggers anew
};

[[nodiscard]] constexpr const char* to_string(debounce_mode mode) noexcept {
    return mode == debounce_mode::trailing ? "trailing" : "leading";
}

[[nodiscard]] constexpr const char* to_string(idempotency_scope scope) noexcept {
    switch (scope) {
        case idempotency_scope::run:
            return "run";
        case idempotency_scope::attempt:
            return "attempt";
        case idempotency_scope::global:
            break;
    }
    return "global";
}

}  // namespace taskkit
