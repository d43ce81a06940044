/// @file schedule/detail/impl/schedule_registry.ipp
/// The definitions of what <taskkit/schedule/detail/schedule_registry.hpp> declares: included by
/// that header (header-only, the default), or compiled once through <taskkit/schedule/src.hpp>
/// (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/schedule/detail/schedule_registry.hpp>

#include <taskkit/schedule/schedule_manager.hpp>

namespace taskkit::detail {

TASKKIT_DECL auto schedule_registry_states() -> schedule_registries& {
    static schedule_registries instance;
    return instance;
}

TASKKIT_DECL auto is_scheduled_task(const registry& reg, std::string_view task_id) -> bool {
    auto& all = schedule_registry_states();
    std::lock_guard lock(all.mutex);
    auto it = all.states.find(&reg);
    return it != all.states.end() && it->second.tasks.contains(task_id);
}

TASKKIT_DECL auto declarative_schedule_id(std::string_view task_id) -> std::string {
    return "decl_" + std::string(task_id);
}

TASKKIT_DECL auto attach_schedules(runtime_core& core) -> schedule_manager& {
    auto& manager =
        core.extension<schedule_manager>([&core] { return new schedule_manager(core.weak_from_this(), core.time()); });
    manager.init(core);
    return manager;
}

TASKKIT_DECL auto register_scheduled_task(registry& reg, declared_schedule declared) -> void {
    std::vector<std::shared_ptr<schedule_manager>> managers;
    bool hook = false;
    {
        auto& all = schedule_registry_states();
        std::lock_guard lock(all.mutex);
        auto& state = all.states[&reg];
        for (auto& weak : state.managers)
            if (auto m = weak.lock()) managers.push_back(std::move(m));
        state.tasks[declared.task_id] = declared;
        auto& hooked = all.hooked[&reg];
        hook = !hooked;
        hooked = true;
    }
    // Every runtime created on this registry from now on gets a schedule manager at start.
    if (hook) reg.on_runtime_start([](runtime_core& core) { (void)attach_schedules(core); });
    for (auto& m : managers) m->add_declarative(declared);
}

TASKKIT_DECL auto unregister_scheduled_task(registry& reg, const std::string& task_id) -> void {
    std::vector<std::shared_ptr<schedule_manager>> managers;
    {
        auto& all = schedule_registry_states();
        std::lock_guard lock(all.mutex);
        auto it = all.states.find(&reg);
        if (it == all.states.end()) return;
        auto& state = it->second;
        state.tasks.erase(task_id);
        std::erase_if(state.managers, [](const auto& weak) { return weak.expired(); });
        for (auto& weak : state.managers)
            if (auto m = weak.lock()) managers.push_back(std::move(m));
        // Forget a registry with nothing left, so another registry at the same address later
        // starts afresh (and registers its own runtime hook).
        if (state.tasks.empty() && state.managers.empty()) {
            all.states.erase(it);
            all.hooked.erase(&reg);
        }
    }
    for (auto& m : managers) m->remove_declarative(task_id);
}

}  // namespace taskkit::detail
