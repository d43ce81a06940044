/// @file schedule/detail/impl/schedule_extension.ipp
/// The definitions of what <taskkit/schedule/detail/schedule_extension.hpp> declares: included by
/// that header (header-only, the default), or compiled once through <taskkit/schedule/src.hpp>
/// (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/schedule/detail/schedule_extension.hpp>

#include <taskkit/schedule/schedule_manager.hpp>

namespace taskkit::detail {

TASKKIT_DECL auto declarative_schedule_id(std::string_view task_id) -> std::string {
    return "decl_" + std::string(task_id);
}

TASKKIT_DECL auto schedule_extension::add_task(const declared_schedule& declared) -> void {
    std::lock_guard lock(mutex_);
    prune_locked();
    tasks_[declared.task_id] = declared;
    for (auto& [key, entry] : runtimes_) entry.manager->add_declarative(declared);
}

TASKKIT_DECL auto schedule_extension::remove_task(const std::string& task_id) -> void {
    std::lock_guard lock(mutex_);
    prune_locked();
    tasks_.erase(task_id);
    for (auto& [key, entry] : runtimes_) entry.manager->remove_declarative(task_id);
}

TASKKIT_DECL auto schedule_extension::has_task(std::string_view task_id) const -> bool {
    std::lock_guard lock(mutex_);
    return tasks_.find(task_id) != tasks_.end();
}

TASKKIT_DECL auto schedule_extension::schedules(runtime_core& core) -> schedule_manager& {
    std::lock_guard lock(mutex_);
    auto found = runtimes_.find(&core);
    if (found != runtimes_.end() && found->second.core.lock().get() == &core) return *found->second.manager;
    prune_locked();  // a dead runtime's entry at this address included
    runtime_schedules& entry = runtimes_[&core];
    entry.core = core.weak_from_this();
    entry.manager = std::make_shared<schedule_manager>(entry.core, core.time());
    if (core.stopping()) entry.manager->stop();
    for (const auto& [task_id, declared] : tasks_) entry.manager->add_declarative(declared);
    return *entry.manager;
}

TASKKIT_DECL auto schedule_extension::runtime_started(runtime_core& core) -> void { (void)schedules(core); }

TASKKIT_DECL auto schedule_extension::runtime_stopping(runtime_core& core) -> void {
    std::lock_guard lock(mutex_);
    // The runtime may be in its destructor (its weak pointers expired): found by address.
    if (auto it = runtimes_.find(&core); it != runtimes_.end()) it->second.manager->stop();
}

TASKKIT_DECL auto schedule_extension::prune_locked() -> void {
    std::erase_if(runtimes_, [](const auto& item) { return item.second.core.expired(); });
}

}  // namespace taskkit::detail
