/// @file schedule/detail/schedule_registry.hpp
/// Which registries have scheduled tasks, and the schedule managers of the runtimes on them.
/// Internal to the schedule integration: included only by its definitions (impl/*.ipp).
#pragma once

#include <taskkit/schedule/detail/config.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/schedule/detail/declared_schedule.hpp>

namespace taskkit {
class schedule_manager;
}  // namespace taskkit

namespace taskkit::detail {

/// Per registry: its scheduled tasks and the schedule managers of the runtimes on it.
struct registry_schedule_state {
    std::map<std::string, declared_schedule, std::less<>> tasks;
    std::vector<std::weak_ptr<schedule_manager>> managers;
};

struct schedule_registries {
    std::mutex mutex;
    std::map<const registry*, registry_schedule_state> states;
    std::map<const registry*, bool> hooked;  ///< whether on_runtime_start has been registered
};

TASKKIT_DECL schedule_registries& schedule_registry_states();

TASKKIT_DECL bool is_scheduled_task(const registry& reg, std::string_view task_id);

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

/// The schedule manager of a runtime, created and attached on first use.
TASKKIT_DECL schedule_manager& attach_schedules(runtime_core& core);

TASKKIT_DECL void register_scheduled_task(registry& reg, declared_schedule declared);

TASKKIT_DECL void unregister_scheduled_task(registry& reg, const std::string& task_id);

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/schedule/detail/impl/schedule_registry.ipp>
#endif
