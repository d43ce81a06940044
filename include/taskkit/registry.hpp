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
#include <taskkit/queue_options.hpp>

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
    /// when the task's named queue is declared elsewhere with other limits.
    void add(std::shared_ptr<const detail::task_definition_base> definition) {
        std::unique_lock lock(mutex_);
        const auto& id = definition->id;
        if (tasks_.contains(id)) throw duplicate_task_error(id);
        declare_queue_locked(definition->queue, "task '" + id + "'");
        tasks_.emplace(id, std::move(definition));
    }

    /// Declares a queue on its own (see taskkit::queue); throws options_error when it is
    /// declared elsewhere with other limits.
    void declare_queue(const queue_options& options) {
        if (options.name.empty()) throw options_error("a queue declared on its own needs a name");
        options.validate("queue '" + options.name + "'");
        std::unique_lock lock(mutex_);
        declare_queue_locked(options, "queue '" + options.name + "'");
    }

    /// Drops one declaration of a queue (the queue is forgotten with its last declaration).
    void undeclare_queue(std::string_view name) {
        std::unique_lock lock(mutex_);
        if (auto q = queues_.find(name); q != queues_.end() && --q->second.users == 0) queues_.erase(q);
    }

    /// The merged options of a declared queue, if any task or queue declares it.
    [[nodiscard]] std::optional<queue_options> queue(std::string_view name) const {
        std::shared_lock lock(mutex_);
        auto it = queues_.find(name);
        if (it == queues_.end()) return std::nullopt;
        return it->second.options;
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
        auto q = queue(name);
        if (!q) return std::nullopt;
        return q->concurrency_limit;
    }

private:
    struct queue_declaration {
        queue_options options;
        int users = 0;
    };

    /// Merges a declaration: a setting given by two declarations must agree; one given by only
    /// one of them applies.
    void declare_queue_locked(const queue_options& q, const std::string& who) {
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
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::shared_ptr<const detail::task_definition_base>, std::less<>> tasks_;
    std::map<std::string, queue_declaration, std::less<>> queues_;
    std::vector<std::function<void(detail::runtime_core&)>> runtime_hooks_;
};

}  // namespace taskkit
