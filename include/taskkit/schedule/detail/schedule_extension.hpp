/// @file schedule/detail/schedule_extension.hpp
/// The schedule integration's state in a registry: its scheduled tasks, and the schedules of each
/// runtime on it. Internal to the schedule integration: included only by its definitions
/// (impl/*.ipp).
#pragma once

#include <taskkit/schedule/detail/config.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <taskkit/detail/registry_extension.hpp>
#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/schedule/detail/declared_schedule.hpp>

namespace taskkit {
class schedule_manager;
}  // namespace taskkit

namespace taskkit::detail {

/// The id of a task's declarative schedule.
TASKKIT_DECL std::string declarative_schedule_id(std::string_view task_id);

/// Clears the thread's run frame for a scope: a fire is a root run, even when the timer is
/// driven from inside a run's wait (runtimes without threads).
class detached_frame {
public:
    detached_frame() noexcept : saved_(current_frame) { current_frame = nullptr; }
    detached_frame(const detached_frame&) = delete;
    detached_frame& operator=(const detached_frame&) = delete;
    ~detached_frame() { current_frame = saved_; }

private:
    exec_frame* saved_;
};

/// A registry's extension for scheduled tasks (`reg.extension<schedule_extension>()`): the
/// registry's scheduled tasks with their declarative crons, and the schedule manager of each
/// runtime on the registry, keyed by the runtime. A runtime gets its manager when it starts (or,
/// for one that started before any scheduled task existed, on its first `taskkit::schedules(rt)`),
/// loaded with every declarative schedule; a scheduled task defined or destroyed later is added to
/// or removed from every manager. When the runtime begins to shut down its manager stops firing
/// (its records stay readable); a manager whose runtime is gone is dropped at the next change.
class schedule_extension final : public registry_extension {
public:
    /// Records a scheduled task and adds its declarative schedule to every runtime's manager.
    TASKKIT_DECL void add_task(const declared_schedule& declared);

    /// Forgets a scheduled task and removes its declarative schedule from every runtime's manager.
    TASKKIT_DECL void remove_task(const std::string& task_id);

    /// Whether a scheduled task has this id.
    [[nodiscard]] TASKKIT_DECL bool has_task(std::string_view task_id) const;

    /// The schedule manager of `core` (a runtime on this registry), made on first use.
    TASKKIT_DECL schedule_manager& schedules(runtime_core& core);

    TASKKIT_DECL void runtime_started(runtime_core& core) override;
    TASKKIT_DECL void runtime_stopping(runtime_core& core) override;

private:
    struct runtime_schedules {
        std::weak_ptr<runtime_core> core;  ///< tells a live runtime from a dead one at the same address
        std::shared_ptr<schedule_manager> manager;
    };

    /// Drops the managers of runtimes that no longer exist.
    TASKKIT_DECL void prune_locked();

    mutable std::mutex mutex_;  // taken before a manager's own mutex, never after
    std::map<std::string, declared_schedule, std::less<>> tasks_;
    std::unordered_map<const runtime_core*, runtime_schedules> runtimes_;
};

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/schedule/detail/impl/schedule_extension.ipp>
#endif
