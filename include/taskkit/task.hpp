/// @file task.hpp
/// taskkit::task: a background task defined in code, with a unique id and a run function.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <taskkit/batch.hpp>
#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/detail/task_definition.hpp>
#include <taskkit/fwd.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/result.hpp>
#include <taskkit/run_handle.hpp>
#include <taskkit/task_options.hpp>
#include <taskkit/trigger_options.hpp>

namespace taskkit {

/// A task: define it once, at namespace scope, and trigger it from anywhere.
/// @code
/// struct hello_payload { std::string message; };
/// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(hello_payload, message)
///
/// inline const taskkit::task<hello_payload> hello_world({
///     .id = "hello-world",
///     .run = [](const hello_payload& payload, taskkit::run_context& ctx) {
///         ctx.logger().info("{}", payload.message);
///     },
/// });
///
/// auto handle = hello_world.trigger({.message = "Hello world!"});
/// @endcode
/// The task registers itself under its id (a second task with the same id throws
/// duplicate_task_error) and unregisters when destroyed.
template <class P, class R>
class task {
    static_assert(json_serializable<P>,
                  "taskkit::task<Payload, Result>: Payload must convert to and from nlohmann::json (give it "
                  "to_json/from_json, e.g. with NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE) and be copyable");
    static_assert(task_result<R>,
                  "taskkit::task<Payload, Result>: Result must be void, or convert to and from nlohmann::json "
                  "(give it to_json/from_json, e.g. with NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE) and be copyable");

public:
    using payload_type = P;
    using result_type = R;

    /// Defines the task and registers it in `reg` (by default registry::global()).
    task(task_options<P, R> options, taskkit::registry& reg = taskkit::registry::global())
        : definition_(std::make_shared<detail::task_definition<P, R>>(std::move(options))), registry_(&reg) {
        registry_->add(definition_);
    }

    /// Registers a definition built elsewhere (for integrations such as schema_task, which
    /// attach payload validation to the definition before it is registered).
    task(std::shared_ptr<detail::task_definition<P, R>> definition, taskkit::registry& reg)
        : definition_(std::move(definition)), registry_(&reg) {
        registry_->add(definition_);
    }

    task(const task&) = delete;
    task& operator=(const task&) = delete;
    ~task() { registry_->remove(definition_->id, definition_.get()); }

    /// The task's unique id.
    [[nodiscard]] const std::string& id() const noexcept { return definition_->id; }

    /// Triggers a run. Outside a run it goes to the default runtime of the task's registry (the
    /// first runtime the program created on it, or the one named with runtime::make_default(); the
    /// built-in runtime::default_runtime() when there is none); inside a run, to the runtime
    /// executing that run, as a child of it.
    run_handle<R> trigger(P payload, trigger_options options = {}) const {
        auto run = definition_->make_run(std::move(payload));
        auto answer = current_core()->submit(run, definition_, options);
        return run_handle<R>(answer, answer != run);
    }

    /// Triggers a run and waits for its outcome. Inside a run, the waiting run gives up its
    /// queue slot while it waits, and the child may run on the same thread.
    /// @code
    /// int n = child.trigger_and_wait({.n = 3}).unwrap();
    /// @endcode
    taskkit::result<R> trigger_and_wait(P payload, trigger_options options = {}) const {
        return trigger(std::move(payload), std::move(options)).result();
    }

    /// Triggers one run per item as one batch (see runtime::batch_trigger); inside a run the
    /// runs are children of it. Items are payloads, `{payload, trigger_options}` items, or any
    /// range of either (batch_range):
    /// @code
    /// resize.batch_trigger({{.size = 64}, {.size = 128}});                        // payloads
    /// resize.batch_trigger({{{.size = 64}}, {{.size = 256}, {.priority = 10}}});  // items, each in braces
    /// resize.batch_trigger(payloads);                                             // a std::vector<P>, a span, a view…
    /// @endcode
    batch_handle<R> batch_trigger(std::initializer_list<P> payloads) const {
        return detail::trigger_batch(*current_core(), definition_, detail::to_batch_items<P>(payloads));
    }
    /// A batch of items (`{payload}` or `{payload, options}`), in order.
    batch_handle<R> batch_trigger(std::vector<batch_item<P>> items) const {
        return detail::trigger_batch(*current_core(), definition_, std::move(items));
    }
    /// A batch of the elements of a range of payloads or of batch_items, in order.
    template <batch_range<P> Items>
    batch_handle<R> batch_trigger(Items&& items) const {
        return detail::trigger_batch(*current_core(), definition_,
                                     detail::to_batch_items<P>(std::forward<Items>(items)));
    }

    /// Triggers a batch and waits for every run; inside a run, the waiting run gives up its slot.
    /// Takes what batch_trigger takes.
    batch_result<R> batch_trigger_and_wait(std::initializer_list<P> payloads) const {
        return batch_trigger_and_wait(detail::to_batch_items<P>(payloads));
    }
    /// A batch of items, waited for.
    batch_result<R> batch_trigger_and_wait(std::vector<batch_item<P>> items) const {
        const auto core = current_core();
        return detail::wait_batch(*core, detail::trigger_batch(*core, definition_, std::move(items)));
    }
    /// A batch of the elements of a range, waited for.
    template <batch_range<P> Items>
    batch_result<R> batch_trigger_and_wait(Items&& items) const {
        return batch_trigger_and_wait(detail::to_batch_items<P>(std::forward<Items>(items)));
    }

    /// The definition (for runtimes and stores).
    [[nodiscard]] const std::shared_ptr<detail::task_definition<P, R>>& definition() const noexcept {
        return definition_;
    }

private:
    /// Where a trigger goes: inside a run, the runtime executing it; outside, the default runtime
    /// of the task's registry (see runtime::make_default), else the built-in default runtime.
    std::shared_ptr<detail::runtime_core> current_core() const {
        if (detail::current_frame) return detail::current_frame->core->shared_from_this();
        if (auto core = registry_->default_core()) return core;
        return detail::builtin_default_core();
    }

    std::shared_ptr<detail::task_definition<P, R>> definition_;
    taskkit::registry* registry_;
};

}  // namespace taskkit
