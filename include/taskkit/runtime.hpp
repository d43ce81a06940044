/// @file runtime.hpp
/// The runtime: worker threads, queues and timers that execute runs inside your process.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/result.hpp>
#include <taskkit/run_handle.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/runtime_options.hpp>
#include <taskkit/trigger_options.hpp>

namespace taskkit {

template <class P, class R>
class task;
class schedule_manager;

/// Keeps a status subscription alive; unsubscribes when destroyed (waiting for a call under way).
class [[nodiscard]] subscription {
public:
    subscription() = default;
    subscription(std::weak_ptr<detail::runtime_core> core, std::shared_ptr<detail::runtime_core::subscriber> sub)
        : core_(std::move(core)), sub_(std::move(sub)) {}
    subscription(subscription&& other) noexcept = default;
    subscription& operator=(subscription&& other) noexcept {
        if (this != &other) {
            unsubscribe();
            core_ = std::move(other.core_);
            sub_ = std::move(other.sub_);
        }
        return *this;
    }
    subscription(const subscription&) = delete;
    subscription& operator=(const subscription&) = delete;
    ~subscription() { unsubscribe(); }

    /// Stops the callbacks. After it returns, the callback is not running and will not run again.
    void unsubscribe() {
        if (!sub_) return;
        if (auto core = core_.lock()) core->unsubscribe(sub_);
        sub_.reset();
    }

private:
    std::weak_ptr<detail::runtime_core> core_;
    std::shared_ptr<detail::runtime_core::subscriber> sub_;
};

/// Executes runs on a pool of worker threads inside your process.
/// @code
/// taskkit::runtime rt({.workers = 4});
/// auto handle = rt.trigger(hello_world, {.message = "Hello world!"});
/// handle.wait();
/// @endcode
/// `task.trigger(payload)` uses `runtime::default_runtime()`, created on first use with one
/// worker per core and shut down at program exit. Destroying a runtime lets executing runs
/// finish, cancels the rest and joins every thread.
class runtime {
public:
    explicit runtime(runtime_options options = {})
        : core_(std::make_shared<detail::runtime_core>(std::move(options))) {
        core_->start();
    }
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;
    ~runtime() { core_->shutdown(); }

    /// The runtime `task.trigger()` uses outside a run (inside a run, a task triggers on the
    /// run's own runtime).
    [[nodiscard]] static runtime& default_runtime() {
        static runtime instance;
        return instance;
    }

    /// Triggers a run of `task` with a typed payload.
    template <class P, class R>
    run_handle<R> trigger(const task<P, R>& t, std::type_identity_t<P> payload, trigger_options options = {}) {
        auto run = t.definition()->make_run(std::move(payload));
        core_->submit(run, t.definition(), options);
        return run_handle<R>(std::move(run));
    }

    /// Triggers a run of the task registered under `task_id`, decoding `payload` into its
    /// payload type. Throws unknown_task_error or payload_error at once (creating no run).
    run_handle<nlohmann::json> trigger(std::string_view task_id, const nlohmann::json& payload,
                                       trigger_options options = {}) {
        auto definition = core_->tasks().at(task_id);
        auto run = definition->make_run_from_json(payload);
        core_->submit(run, std::move(definition), options);
        return run_handle<nlohmann::json>(std::move(run));
    }

    /// Triggers a run and waits for its outcome (see run_handle::result()).
    template <class P, class R>
    taskkit::result<R> trigger_and_wait(const task<P, R>& t, std::type_identity_t<P> payload,
                                        trigger_options options = {}) {
        return trigger(t, std::move(payload), std::move(options)).result();
    }

    /// The record of the run with this id, if the store still holds it.
    [[nodiscard]] std::optional<run_record> retrieve(std::string_view run_id) const {
        if (auto run = core_->store().find(run_id)) return run->snapshot();
        return std::nullopt;
    }

    /// A handle to the run with this id (output as JSON), if the store holds it.
    [[nodiscard]] std::optional<run_handle<nlohmann::json>> handle(std::string_view run_id) const {
        if (auto run = core_->store().find(run_id)) return run_handle<nlohmann::json>(std::move(run));
        return std::nullopt;
    }

    /// Cancels the run with this id and its children; false when unknown or already ended.
    bool cancel(std::string_view run_id) {
        auto run = core_->store().find(run_id);
        return run && core_->cancel(run);
    }

    /// Calls `callback` on every status change of every run, on the thread that made the
    /// change, as it happens. Calls to one subscriber never overlap. Keep the callback short.
    [[nodiscard]] subscription subscribe(std::function<void(const status_event&)> callback) {
        return subscription(core_, core_->subscribe(std::move(callback)));
    }

    /// For a runtime without worker threads (`.workers = 0`): runs everything runnable on this
    /// thread, jumping a virtual clock from timer to timer, until nothing is left.
    void run_until_idle() { core_->drive_until([] { return false; }); }

    /// The schedules of this runtime: create, update, list… (include <taskkit/schedule.hpp>,
    /// which defines this function).
    schedule_manager& schedules();

    /// Finishes executing runs, cancels the rest and joins the threads (the destructor does this).
    void shutdown() { core_->shutdown(); }

    [[nodiscard]] const std::shared_ptr<taskkit::clock>& clock() const noexcept { return core_->time(); }
    [[nodiscard]] taskkit::registry& registry() const noexcept { return core_->tasks(); }
    [[nodiscard]] const machine& capacity() const noexcept { return core_->capacity(); }

    /// The engine (for taskkit's own headers).
    [[nodiscard]] const std::shared_ptr<detail::runtime_core>& core() const noexcept { return core_; }

private:
    std::shared_ptr<detail::runtime_core> core_;
};

}  // namespace taskkit
