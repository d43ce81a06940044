/// @file runtime_options.hpp
/// How a runtime is set up: workers, capacity, clock, registry, backend, randomness, logging.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include <taskkit/clock.hpp>
#include <taskkit/fwd.hpp>
#include <taskkit/logger.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/run_status.hpp>

namespace taskkit {

/// Options of a runtime; every field has a sensible default.
/// @code
/// taskkit::runtime rt({.workers = 4});
/// taskkit::runtime test_rt({.workers = 1, .clock = std::make_shared<taskkit::virtual_clock>()});
/// @endcode
struct runtime_options {
    /// Worker threads. Default: one per hardware thread. 0: no threads at all — the runtime
    /// runs work only while some thread waits on it (see taskkit/testing.hpp).
    std::optional<unsigned> workers;
    /// The cpu/memory budget shared by executing runs. Default: the host's cores and memory.
    std::optional<taskkit::machine> capacity;
    /// Source of time. Default: the real clock.
    std::shared_ptr<taskkit::clock> clock;
    /// Where task ids are looked up. Default: registry::global().
    taskkit::registry* registry = nullptr;
    /// Where runs live, and who decides which one executes next (see docs/architecture.md).
    /// Default: taskkit::memory_backend(), the runs held in this process.
    std::shared_ptr<taskkit::backend> backend;
    /// Uniform random numbers in [0, 1) for randomized retry delays; called from any worker,
    /// so it must be thread-safe. Default: a seeded Mersenne Twister.
    std::function<double()> random;
    /// Receives every log line. Default: stderr_log_sink() (info and above).
    taskkit::log_sink log_sink;
    /// Log lines kept on each run record (the most recent ones).
    std::size_t max_log_entries = 1000;
    /// Chunks kept of each stream of each run (ctx.stream), the most recent ones; a run has at
    /// most 64 streams.
    std::size_t max_stream_chunks = 10000;
    /// How long shutdown lets executing runs finish before it requests their stop tokens (they
    /// then end canceled when their functions return). Waits are woken at once either way.
    std::chrono::milliseconds shutdown_grace = std::chrono::seconds(30);
    /// Whether this runtime becomes its registry's default runtime (the one `task.trigger()` uses
    /// outside a run) when the registry has none yet. The first runtime created on a registry is
    /// its default; `runtime::make_default()` names another.
    bool become_default = true;
};

/// A change of a run's status, passed to subscribers.
struct status_event {
    std::string_view run_id;
    std::string_view task_id;
    run_status status;
    int attempt = 0;  ///< the attempt number (0 before the first attempt)
};

}  // namespace taskkit
