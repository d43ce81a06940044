/// @file queue_controls.hpp
/// taskkit::queue_controls — a runtime's queues, to inspect and steer while it runs: pause and
/// resume a queue, override its concurrency limit (runtime::queues()).
#pragma once

#include <taskkit/detail/config.hpp>

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <taskkit/fwd.hpp>
#include <taskkit/queue_stats.hpp>

namespace taskkit {

/// The queues of a runtime. Every queue its registry declares (through tasks and
/// taskkit::queue) or one of its runs uses is known; a control call naming another queue throws
/// unknown_queue_error.
/// @code
/// rt.queues().pause("emails");              // queued runs stay queued; executing runs go on
/// rt.queues().set_concurrency("emails", 2);  // at most 2 at once from now on
/// rt.queues().resume("emails");
/// for (const auto& q : rt.queues().list()) fmt::print("{}: {} queued, {} executing\n", q.name, q.queued, q.executing);
/// @endcode
/// With a backend shared by several processes (SQLite), pause and the limit hold for every process.
class queue_controls {
public:
    explicit queue_controls(std::shared_ptr<detail::runtime_core> core) : core_(std::move(core)) {}

    /// Every known queue, by name.
    [[nodiscard]] std::vector<queue_stats> list() const;
    /// One queue, if known.
    [[nodiscard]] std::optional<queue_stats> find(std::string_view name) const;

    /// No new attempt starts from the queue until resume(): its queued runs stay queued, new
    /// triggers queue behind them, executing runs go on (and a run of the queue that waits on a
    /// child takes its slot back when the child ends). Pausing a paused queue does nothing.
    void pause(std::string_view name);
    /// Lets the queue's runs start again.
    void resume(std::string_view name);

    /// Overrides the queue's concurrency limit (per key when runs carry keys), from now on:
    /// raising it starts waiting runs at once; lowering it lets executing runs finish. Throws
    /// options_error unless `limit` is at least 1.
    void set_concurrency(std::string_view name, int limit);
    /// Back to the limit its declarations give.
    void reset_concurrency(std::string_view name);

private:
    std::shared_ptr<detail::runtime_core> core_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/queue_controls.ipp>
#endif
