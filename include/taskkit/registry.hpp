/// @file registry.hpp
/// The registry of task definitions, by id.
#pragma once

#include <taskkit/detail/config.hpp>

#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>
#include <unordered_map>
#include <vector>

#include <taskkit/detail/registry_extension.hpp>
#include <taskkit/detail/task_definition_base.hpp>
#include <taskkit/error.hpp>
#include <taskkit/fwd.hpp>
#include <taskkit/global_hooks.hpp>
#include <taskkit/queue_options.hpp>
#include <taskkit/task_description.hpp>

namespace taskkit {

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

    /// The merged options of every declared queue, by name.
    [[nodiscard]] std::vector<queue_options> queues() const;

    /// Removes the definition registered under `id`, if it is `definition`.
    void remove(std::string_view id, const detail::task_definition_base* definition);

    /// The definition registered under `id`, or null.
    [[nodiscard]] std::shared_ptr<const detail::task_definition_base> find(std::string_view id) const;

    /// The definition registered under `id`; throws unknown_task_error when there is none.
    [[nodiscard]] std::shared_ptr<const detail::task_definition_base> at(std::string_view id) const;

    [[nodiscard]] bool contains(std::string_view id) const { return find(id) != nullptr; }

    /// Every registered id, sorted.
    [[nodiscard]] std::vector<std::string> ids() const;

    /// What every registered task declares, sorted by id.
    [[nodiscard]] std::vector<task_description> describe() const;
    /// What the task registered under `id` declares, if there is one.
    [[nodiscard]] std::optional<task_description> describe(std::string_view id) const;

    /// The JSON Schema of a task's payload (null when the task declares none). Throws
    /// unknown_task_error for an unknown id.
    [[nodiscard]] nlohmann::json schema(std::string_view id) const { return at(id)->payload_schema; }

    /// The concurrency limit declared for a named queue (0 = unbounded), if any task names it.
    [[nodiscard]] std::optional<int> queue_limit(std::string_view name) const;

    /// The global hooks: run for every task of this registry, on every runtime using it, around
    /// each task's own hooks (docs/lifecycle-hooks.md, "Global hooks").
    /// @code
    /// auto on_fail = reg.hooks().on_failure([](const taskkit::hook_context& hc) { page(hc.task_id()); });
    /// @endcode
    [[nodiscard]] global_hooks& hooks() noexcept { return hooks_; }
    [[nodiscard]] const global_hooks& hooks() const noexcept { return hooks_; }

    // ---------------------------------------------------------------- extensions

    /// This registry's extension of type T (derived from detail::registry_extension), made on
    /// first use and destroyed with the registry: where integrations keep their state (scheduled
    /// tasks keep their declarative schedules and each runtime's schedules there). Thread-safe.
    template <class T>
    requires std::derived_from<T, detail::registry_extension> T& extension() {
        std::lock_guard lock(extensions_mutex_);
        auto& slot = extensions_[std::type_index(typeid(T))];
        if (!slot) slot = std::make_shared<T>();
        return static_cast<T&>(*slot);
    }

    /// For the runtime: tells every extension that a runtime on this registry has started, or
    /// begins to shut down.
    void runtime_started(detail::runtime_core& core);
    void runtime_stopping(detail::runtime_core& core);

    // ---------------------------------------------------------------- runtimes on this registry

    /// The engine of this registry's default runtime — the one `task.trigger()` uses outside a
    /// run: the runtime named with runtime::make_default() while it lives, else the oldest live
    /// runtime created on this registry that may become the default; null when there is none.
    [[nodiscard]] std::shared_ptr<detail::runtime_core> default_core() const;

    /// The runtime object of default_core(), or null.
    [[nodiscard]] runtime* default_runtime() const;

    /// For taskkit::runtime: a runtime on this registry was created (`candidate`: it may become
    /// the default), made the default, or is being destroyed.
    void attach_runtime(const std::shared_ptr<detail::runtime_core>& core, runtime* owner, bool candidate);
    void name_default(const detail::runtime_core* core);
    void detach_runtime(const detail::runtime_core* core);

private:
    struct attached_runtime {
        std::weak_ptr<detail::runtime_core> core;
        const detail::runtime_core* key = nullptr;
        runtime* owner = nullptr;
        bool candidate = true;
    };

    /// The entry default_core() answers with; call with the lock held.
    [[nodiscard]] const attached_runtime* default_entry_locked() const;

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
    std::vector<attached_runtime> runtimes_;  // in creation order
    const detail::runtime_core* named_default_ = nullptr;
    global_hooks hooks_;

    /// The extensions of this registry (last: destroyed first, while the rest of it still exists).
    std::vector<std::shared_ptr<detail::registry_extension>> extensions_snapshot() const;
    mutable std::mutex extensions_mutex_;
    std::unordered_map<std::type_index, std::shared_ptr<detail::registry_extension>> extensions_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/registry.ipp>
#endif
