/// @file registry.hpp
/// The registry of task definitions, by id.
#pragma once

#include <taskkit/detail/config.hpp>

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
    [[nodiscard]] static registry& global();

    /// Adds a definition. Throws duplicate_task_error when the id is taken, and options_error
    /// when the task's named queue is declared elsewhere with other limits.
    void add(std::shared_ptr<const detail::task_definition_base> definition);

    /// Declares a queue on its own (see taskkit::queue); throws options_error when it is
    /// declared elsewhere with other limits.
    void declare_queue(const queue_options& options);

    /// Drops one declaration of a queue (the queue is forgotten with its last declaration).
    void undeclare_queue(std::string_view name);

    /// The merged options of a declared queue, if any task or queue declares it.
    [[nodiscard]] std::optional<queue_options> queue(std::string_view name) const;

    /// Removes the definition registered under `id`, if it is `definition`.
    void remove(std::string_view id, const detail::task_definition_base* definition);

    /// The definition registered under `id`, or null.
    [[nodiscard]] std::shared_ptr<const detail::task_definition_base> find(std::string_view id) const;

    /// The definition registered under `id`; throws unknown_task_error when there is none.
    [[nodiscard]] std::shared_ptr<const detail::task_definition_base> at(std::string_view id) const;

    [[nodiscard]] bool contains(std::string_view id) const { return find(id) != nullptr; }

    /// Every registered id, sorted.
    [[nodiscard]] std::vector<std::string> ids() const;

    /// The JSON Schema of a task's payload (null when the task declares none). Throws
    /// unknown_task_error for an unknown id.
    [[nodiscard]] nlohmann::json schema(std::string_view id) const { return at(id)->payload_schema; }

    /// Calls `hook` with every runtime created on this registry from now on, once it has
    /// started (integrations such as scheduled tasks attach themselves this way). Runtimes that
    /// already exist are not called.
    void on_runtime_start(std::function<void(detail::runtime_core&)> hook);

    /// The hooks registered with on_runtime_start (for the runtime).
    [[nodiscard]] std::vector<std::function<void(detail::runtime_core&)>> runtime_hooks() const;

    /// The concurrency limit declared for a named queue (0 = unbounded), if any task names it.
    [[nodiscard]] std::optional<int> queue_limit(std::string_view name) const;

private:
    struct queue_declaration {
        queue_options options;
        int users = 0;
    };

    /// Merges a declaration: a setting given by two declarations must agree; one given by only
    /// one of them applies.
    void declare_queue_locked(const queue_options& q, const std::string& who);
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::shared_ptr<const detail::task_definition_base>, std::less<>> tasks_;
    std::map<std::string, queue_declaration, std::less<>> queues_;
    std::vector<std::function<void(detail::runtime_core&)>> runtime_hooks_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/registry.ipp>
#endif
