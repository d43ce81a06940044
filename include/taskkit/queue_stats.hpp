/// @file queue_stats.hpp
/// taskkit::queue_stats — a queue as it stands: its runs waiting and executing, the limits in
/// force, whether it is paused (runtime::queues()).
#pragma once

#include <taskkit/detail/config.hpp>

#include <optional>
#include <string>
#include <vector>

#include <taskkit/queue_options.hpp>

namespace taskkit {

/// One concurrency key of a queue.
struct queue_key_stats {
    std::string key;
    int queued = 0;     ///< runs of this key waiting for a slot (delayed runs are not counted)
    int executing = 0;  ///< runs of this key executing
};

/// A queue as it stands.
struct queue_stats {
    std::string name;
    int queued = 0;     ///< runs waiting for a slot (delayed and retry-delayed runs are not counted)
    int executing = 0;  ///< runs executing (a run waiting on a child or a timer is not counted)
    int waiting = 0;    ///< runs of the queue waiting on children, batches or time
    /// The concurrency limit in force (per key when runs carry concurrency keys); 0 = unbounded.
    int limit = 0;
    int declared_limit = 0;              ///< the limit its tasks and queue declarations give
    bool limit_overridden = false;       ///< queue_controls::set_concurrency is in force
    int total_limit = 0;                 ///< the cap across keys; 0 = none
    bool paused = false;                 ///< no attempt starts from it (queue_controls::pause)
    std::optional<rate_limit> rate;      ///< starts per window for the whole queue
    std::optional<rate_limit> key_rate;  ///< starts per window for each key
    /// The concurrency keys with runs queued or executing, by key (runs without a key are not listed).
    std::vector<queue_key_stats> keys;
};

}  // namespace taskkit
