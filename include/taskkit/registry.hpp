/// @file registry.hpp
/// The registry of task definitions, by id.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <taskkit/detail/task_definition_base.hpp>
#include <taskkit/error.hpp>

namespace taskkit {

namespace detail {
class runtime_core;
}

/// Maps task ids to their definitions. A task registers itself when it is constructed and
/// unregisters when it is destroyed; a second task with the same id throws
/// duplicate_task_error. Tasks register in `registry::global()` unless told otherwise.
class registry {
public:
    registry() = default;
    registry(const registry&) = delete;
    registry& operator=(const registry&) = delete;

    /// The registry every task joins by default, and every runtime reads by default.
    [[nodiscard]] static registry& global() {
        static registry instance;
        return instance;
    }

    /// Adds a definition. Throws duplicate_task_error when the id is taken, and options_error
    /// when the task's named queue is declared elsewhere with another concurrency limit.
    void add(std::shared_ptr<const detail::task_definition_base> definition) {
        std::unique_lock lock(mutex_);
        const auto& id = definition->id;
        if (tasks_.contains(id)) throw duplicate_task_error(id);
        const auto& q = definition->queue;
        if (auto it = queues_.find(q.name); it != queues_.end()) {
            auto& declared = it->second;
            if (q.concurrency_limit != 0 && declared.limit != 0 && q.concurrency_limit != declared.limit)
                throw options_error("task '" + id + "' declares queue '" + q.name + "' with concurrency_limit " +
                                    std::to_string(q.concurrency_limit) + ", but it is already declared with " +
                                    std::to_string(declared.limit));
            if (declared.limit == 0) declared.limit = q.concurrency_limit;
            ++declared.users;
        } else {
            queues_.emplace(q.name, queue_declaration{q.concurrency_limit, 1});
        }
        tasks_.emplace(id, std::move(definition));
    }

    /// Removes the definition registered under `id`, if it is `definition`.
    void remove(std::string_view id, const detail::task_definition_base* definition) {
        std::unique_lock lock(mutex_);
        auto it = tasks_.find(id);
        if (it == tasks_.end() || it->second.get() != definition) return;
        if (auto q = queues_.find(definition->queue.name); q != queues_.end() && --q->second.users == 0)
            queues_.erase(q);
        tasks_.erase(it);
    }

    /// The definition registered under `id`, or null.
    [[nodiscard]] std::shared_ptr<const detail::task_definition_base> find(std::string_view id) const {
        std::shared_lock lock(mutex_);
        auto it = tasks_.find(id);
        return it == tasks_.end() ? nullptr : it->second;
    }

    /// The definition registered under `id`; throws unknown_task_error when there is none.
    [[nodiscard]] std::shared_ptr<const detail::task_definition_base> at(std::string_view id) const {
        auto definition = find(id);
        if (!definition) throw unknown_task_error(id);
        return definition;
    }

    [[nodiscard]] bool contains(std::string_view id) const { return find(id) != nullptr; }

    /// Every registered id, sorted.
    [[nodiscard]] std::vector<std::string> ids() const {
        std::shared_lock lock(mutex_);
        std::vector<std::string> out;
        out.reserve(tasks_.size());
        for (const auto& entry : tasks_) out.push_back(entry.first);
        return out;
    }

    /// The JSON Schema of a task's payload (null when the task declares none). Throws
    /// unknown_task_error for an unknown id.
    [[nodiscard]] nlohmann::json schema(std::string_view id) const { return at(id)->payload_schema; }

    /// Calls `hook` with every runtime created on this registry from now on, once it has
    /// started (integrations such as scheduled tasks attach themselves this way). Runtimes that
    /// already exist are not called.
    void on_runtime_start(std::function<void(detail::runtime_core&)> hook) {
        std::unique_lock lock(mutex_);
        runtime_hooks_.push_back(std::move(hook));
    }

    /// The hooks registered with on_runtime_start (for the runtime).
    [[nodiscard]] std::vector<std::function<void(detail::runtime_core&)>> runtime_hooks() const {
        std::shared_lock lock(mutex_);
        return runtime_hooks_;
    }

    /// The concurrency limit declared for a named queue (0 = unbounded), if any task names it.
    [[nodiscard]] std::optional<int> queue_limit(std::string_view name) const {
        std::shared_lock lock(mutex_);
        auto it = queues_.find(name);
        if (it == queues_.end()) return std::nullopt;
        return it->second.limit;
    }

private:
    struct queue_declaration {
        int limit = 0;
        int users = 0;
    };
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::shared_ptr<const detail::task_definition_base>, std::less<>> tasks_;
    std::map<std::string, queue_declaration, std::less<>> queues_;
    std::vector<std::function<void(detail::runtime_core&)>> runtime_hooks_;
};

}  // namespace taskkit
