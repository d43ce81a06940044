/// @file queue_options.hpp
/// Queue options: how many runs of a queue may execute at once, per concurrency key and in
/// all, and how many may start per time window.
#pragma once

#include <taskkit/detail/config.hpp>

#include <chrono>
#include <optional>
#include <string>

#include <taskkit/error.hpp>

namespace taskkit {

/// At most `limit` run starts in any window of `period` (a sliding window: exact, no bursts
/// beyond the limit). Runs beyond it wait in the queue; none is dropped or failed.
struct rate_limit {
    int limit = 0;                           ///< starts per window; must be at least 1
    std::chrono::milliseconds period{1000};  ///< the window

    friend bool operator==(const rate_limit&, const rate_limit&) = default;
};

/// Where a task's runs wait, and how many of them may execute or start.
/// Without a name, a task gets a queue of its own named after its id. Tasks naming the same
/// queue share it; a `taskkit::queue` declares one on its own.
/// @code
/// .queue = {.concurrency_limit = 1}                      // one at a time
/// .queue = {.name = "emails", .concurrency_limit = 5}    // shared by every task naming "emails"
/// .queue = {.concurrency_limit = 1, .total_concurrency_limit = 8}  // with concurrency keys
/// .queue = {.rate_limit = taskkit::rate_limit{.limit = 100, .period = std::chrono::minutes(1)}}
/// @endcode
struct queue_options {
    std::string name;  ///< empty: the task's own queue, named after the task id
    /// Runs executing at once: for the whole queue, or, when runs carry a concurrency_key, for
    /// each key value (each key gets its own copy of the queue). 0 = unbounded.
    int concurrency_limit = 0;
    /// With concurrency keys: runs executing at once across all keys. 0 = no cap.
    int total_concurrency_limit = 0;
    /// Starts per window for the whole queue.
    std::optional<taskkit::rate_limit> rate_limit;
    /// Starts per window for each concurrency key.
    std::optional<taskkit::rate_limit> key_rate_limit;

    /// Throws options_error when a field is out of range.
    void validate(const std::string& owner) const;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/queue_options.ipp>
#endif
