/// @file impl/registry.ipp
/// The definitions of what <taskkit/registry.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/registry.hpp>

namespace taskkit {

TASKKIT_DECL auto registry::global() -> registry& {
    static registry instance;
    return instance;
}

TASKKIT_DECL auto registry::add(std::shared_ptr<const detail::task_definition_base> definition) -> void {
    std::unique_lock lock(mutex_);
    const auto& id = definition->id;
    if (tasks_.contains(id)) throw duplicate_task_error(id);
    declare_queue_locked(definition->queue, "task '" + id + "'");
    tasks_.emplace(id, std::move(definition));
}

TASKKIT_DECL auto registry::declare_queue(const queue_options& options) -> void {
    if (options.name.empty()) throw options_error("a queue declared on its own needs a name");
    options.validate("queue '" + options.name + "'");
    std::unique_lock lock(mutex_);
    declare_queue_locked(options, "queue '" + options.name + "'");
}

TASKKIT_DECL auto registry::undeclare_queue(std::string_view name) -> void {
    std::unique_lock lock(mutex_);
    if (auto q = queues_.find(name); q != queues_.end() && --q->second.users == 0) queues_.erase(q);
}

TASKKIT_DECL auto registry::queue(std::string_view name) const -> std::optional<queue_options> {
    std::shared_lock lock(mutex_);
    auto it = queues_.find(name);
    if (it == queues_.end()) return std::nullopt;
    return it->second.options;
}

TASKKIT_DECL auto registry::queues() const -> std::vector<queue_options> {
    std::shared_lock lock(mutex_);
    std::vector<queue_options> out;
    out.reserve(queues_.size());
    for (const auto& entry : queues_) out.push_back(entry.second.options);
    return out;
}

TASKKIT_DECL auto registry::remove(std::string_view id, const detail::task_definition_base* definition) -> void {
    std::unique_lock lock(mutex_);
    auto it = tasks_.find(id);
    if (it == tasks_.end() || it->second.get() != definition) return;
    if (auto q = queues_.find(definition->queue.name); q != queues_.end() && --q->second.users == 0) queues_.erase(q);
    tasks_.erase(it);
}

TASKKIT_DECL auto registry::find(std::string_view id) const -> std::shared_ptr<const detail::task_definition_base> {
    std::shared_lock lock(mutex_);
    auto it = tasks_.find(id);
    return it == tasks_.end() ? nullptr : it->second;
}

TASKKIT_DECL auto registry::at(std::string_view id) const -> std::shared_ptr<const detail::task_definition_base> {
    auto definition = find(id);
    if (!definition) throw unknown_task_error(id);
    return definition;
}

TASKKIT_DECL auto registry::ids() const -> std::vector<std::string> {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    out.reserve(tasks_.size());
    for (const auto& entry : tasks_) out.push_back(entry.first);
    return out;
}

namespace detail {
inline task_description describe_definition(const task_definition_base& d) {
    return task_description{.id = d.id,
                            .kind = d.kind,
                            .description = d.description,
                            .queue = d.queue,
                            .retry = d.retry,
                            .machine_spec = d.machine_spec,
                            .max_duration = d.max_duration,
                            .payload_schema = d.payload_schema};
}
}  // namespace detail

TASKKIT_DECL auto registry::describe() const -> std::vector<task_description> {
    std::shared_lock lock(mutex_);
    std::vector<task_description> out;
    out.reserve(tasks_.size());
    for (const auto& entry : tasks_) out.push_back(detail::describe_definition(*entry.second));
    return out;
}

TASKKIT_DECL auto registry::describe(std::string_view id) const -> std::optional<task_description> {
    auto definition = find(id);
    if (!definition) return std::nullopt;
    return detail::describe_definition(*definition);
}

TASKKIT_DECL auto registry::extensions_snapshot() const -> std::vector<std::shared_ptr<detail::registry_extension>> {
    std::lock_guard lock(extensions_mutex_);
    std::vector<std::shared_ptr<detail::registry_extension>> out;
    out.reserve(extensions_.size());
    for (const auto& [type, extension] : extensions_) out.push_back(extension);
    return out;
}

TASKKIT_DECL auto registry::runtime_started(detail::runtime_core& core) -> void {
    for (auto& extension : extensions_snapshot()) extension->runtime_started(core);
}

TASKKIT_DECL auto registry::runtime_stopping(detail::runtime_core& core) -> void {
    for (auto& extension : extensions_snapshot()) extension->runtime_stopping(core);
}

TASKKIT_DECL auto registry::queue_limit(std::string_view name) const -> std::optional<int> {
    auto q = queue(name);
    if (!q) return std::nullopt;
    return q->concurrency_limit;
}

TASKKIT_DECL auto registry::default_entry_locked() const -> const attached_runtime* {
    const attached_runtime* oldest = nullptr;
    for (const auto& entry : runtimes_) {
        if (entry.key == named_default_) return &entry;
        if (!oldest && entry.candidate) oldest = &entry;
    }
    return oldest;
}

TASKKIT_DECL auto registry::default_core() const -> std::shared_ptr<detail::runtime_core> {
    std::shared_lock lock(mutex_);
    const auto* entry = default_entry_locked();
    return entry ? entry->core.lock() : nullptr;
}

TASKKIT_DECL auto registry::default_runtime() const -> runtime* {
    std::shared_lock lock(mutex_);
    const auto* entry = default_entry_locked();
    return entry ? entry->owner : nullptr;
}

TASKKIT_DECL auto registry::attach_runtime(const std::shared_ptr<detail::runtime_core>& core, runtime* owner,
                                           bool candidate) -> void {
    std::unique_lock lock(mutex_);
    runtimes_.push_back(attached_runtime{core, core.get(), owner, candidate});
}

TASKKIT_DECL auto registry::name_default(const detail::runtime_core* core) -> void {
    std::unique_lock lock(mutex_);
    named_default_ = core;
}

TASKKIT_DECL auto registry::detach_runtime(const detail::runtime_core* core) -> void {
    std::unique_lock lock(mutex_);
    std::erase_if(runtimes_, [&](const attached_runtime& entry) { return entry.key == core; });
    if (named_default_ == core) named_default_ = nullptr;
}

TASKKIT_DECL auto registry::declare_queue_locked(const queue_options& q, const std::string& who) -> void {
    auto it = queues_.find(q.name);
    if (it == queues_.end()) {
        queues_.emplace(q.name, queue_declaration{q, 1});
        return;
    }
    auto& declared = it->second.options;
    auto conflict = [&](const char* field) {
        throw options_error(who + " declares queue '" + q.name + "' with a different " + field +
                            " than an earlier declaration; declare the queue once (taskkit::queue) and name it");
    };
    queue_options merged = declared;
    if (q.concurrency_limit != 0) {
        if (declared.concurrency_limit != 0 && declared.concurrency_limit != q.concurrency_limit)
            conflict("concurrency_limit");
        merged.concurrency_limit = q.concurrency_limit;
    }
    if (q.total_concurrency_limit != 0) {
        if (declared.total_concurrency_limit != 0 && declared.total_concurrency_limit != q.total_concurrency_limit)
            conflict("total_concurrency_limit");
        merged.total_concurrency_limit = q.total_concurrency_limit;
    }
    if (q.rate_limit) {
        if (declared.rate_limit && !(*declared.rate_limit == *q.rate_limit)) conflict("rate_limit");
        merged.rate_limit = q.rate_limit;
    }
    if (q.key_rate_limit) {
        if (declared.key_rate_limit && !(*declared.key_rate_limit == *q.key_rate_limit)) conflict("key_rate_limit");
        merged.key_rate_limit = q.key_rate_limit;
    }
    declared = merged;
    ++it->second.users;
}

}  // namespace taskkit
