/// @file runtime.hpp
/// The runtime: worker threads, queues and timers that execute runs inside your process.
#pragma once

#include <taskkit/detail/config.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/batch.hpp>
#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/fwd.hpp>
#include <taskkit/queue_controls.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/result.hpp>
#include <taskkit/run_filter.hpp>
#include <taskkit/run_handle.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_update.hpp>
#include <taskkit/runtime_options.hpp>
#include <taskkit/stream_reader.hpp>
#include <taskkit/subscription.hpp>
#include <taskkit/trigger_options.hpp>
#include <taskkit/waitpoint_options.hpp>
#include <taskkit/waitpoint_record.hpp>
#include <taskkit/waitpoint_token.hpp>

namespace taskkit {

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
    explicit runtime(runtime_options options = {});
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;
    ~runtime() {
        core_->tasks().detach_runtime(core_.get());
        core_->shutdown();
    }

    /// The default runtime of the global registry: the runtime `task.trigger()` uses outside a
    /// run (inside a run, a task triggers on the run's own runtime). It is the first runtime the
    /// program created on the registry (or the one named with make_default()); when the program
    /// has created none, a built-in one is created now, with one worker per core, and shut down
    /// at program exit.
    [[nodiscard]] static runtime& default_runtime();

    /// Makes this runtime its registry's default: `task.trigger()` outside a run goes here from
    /// now on, and the registry's declarative schedules fire here (and on no other runtime).
    void make_default() { core_->tasks().name_default(core_.get()); }

    /// Whether this runtime is its registry's default runtime now.
    [[nodiscard]] bool is_default() const { return core_->tasks().default_core().get() == core_.get(); }

    /// Triggers a run of `task` with a typed payload.
    template <class P, class R>
    run_handle<R> trigger(const task<P, R>& t, std::type_identity_t<P> payload, trigger_options options = {}) {
        auto run = t.definition()->make_run(std::move(payload));
        auto answer = core_->submit(run, t.definition(), options);
        return run_handle<R>(answer, answer != run);
    }

    /// Triggers a run of the task registered under `task_id`, decoding `payload` into its
    /// payload type. Throws unknown_task_error or payload_error at once (creating no run).
    run_handle<nlohmann::json> trigger(std::string_view task_id, const nlohmann::json& payload,
                                       trigger_options options = {});

    /// Triggers a run and waits for its outcome (see run_handle::result()).
    template <class P, class R>
    taskkit::result<R> trigger_and_wait(const task<P, R>& t, std::type_identity_t<P> payload,
                                        trigger_options options = {}) {
        return trigger(t, std::move(payload), std::move(options)).result();
    }

    /// Triggers one run per item, in order, as one batch. Every item is checked before any run
    /// is created: a bad payload or option throws and starts nothing. Items are payloads,
    /// `{payload, trigger_options}` items, or any range of either (batch_range):
    /// @code
    /// rt.batch_trigger(resize, {{.size = 64}, {.size = 128}});                        // payloads
    /// rt.batch_trigger(resize, {{{.size = 64}}, {{.size = 256}, {.priority = 10}}});  // items, each in braces
    /// rt.batch_trigger(resize, payloads);                                             // a vector, span, view…
    /// @endcode
    template <class P, class R>
    batch_handle<R> batch_trigger(const task<P, R>& t, std::initializer_list<std::type_identity_t<P>> payloads) {
        return detail::trigger_batch(*core_, t.definition(), detail::to_batch_items<P>(payloads));
    }
    /// A batch of items (`{payload}` or `{payload, options}`), in order.
    template <class P, class R>
    batch_handle<R> batch_trigger(const task<P, R>& t, std::vector<batch_item<std::type_identity_t<P>>> items) {
        return detail::trigger_batch(*core_, t.definition(), std::move(items));
    }
    /// A batch of the elements of a range of payloads or of batch_items, in order.
    template <class P, class R, batch_range<P> Items>
    batch_handle<R> batch_trigger(const task<P, R>& t, Items&& items) {
        return detail::trigger_batch(*core_, t.definition(), detail::to_batch_items<P>(std::forward<Items>(items)));
    }

    /// Triggers a batch and waits for all its runs; their outcomes come back in item order.
    /// Takes what batch_trigger takes.
    template <class P, class R>
    batch_result<R> batch_trigger_and_wait(const task<P, R>& t,
                                           std::initializer_list<std::type_identity_t<P>> payloads) {
        return detail::wait_batch(*core_,
                                  detail::trigger_batch(*core_, t.definition(), detail::to_batch_items<P>(payloads)));
    }
    /// A batch of items, waited for.
    template <class P, class R>
    batch_result<R> batch_trigger_and_wait(const task<P, R>& t,
                                           std::vector<batch_item<std::type_identity_t<P>>> items) {
        return detail::wait_batch(*core_, detail::trigger_batch(*core_, t.definition(), std::move(items)));
    }
    /// A batch of the elements of a range, waited for.
    template <class P, class R, batch_range<P> Items>
    batch_result<R> batch_trigger_and_wait(const task<P, R>& t, Items&& items) {
        return detail::wait_batch(*core_, detail::trigger_batch(*core_, t.definition(),
                                                                detail::to_batch_items<P>(std::forward<Items>(items))));
    }

    /// The record of the run with this id, if its backend still holds it.
    [[nodiscard]] std::optional<run_record> retrieve(std::string_view run_id) const;

    /// A handle to the run with this id (output as JSON), if its backend holds it.
    [[nodiscard]] std::optional<run_handle<nlohmann::json>> handle(std::string_view run_id) const;

    /// Cancels the run with this id and its children; false when unknown or already ended.
    bool cancel(std::string_view run_id);

    /// Queues the failed, canceled or timed-out run with this id again, keeping its id, with a
    /// fresh attempt budget. Throws state_error for a run in another status or an unknown id.
    void retry(std::string_view run_id);

    /// The runtime's queues: their counts and limits, pause and resume, limit overrides.
    /// @code
    /// rt.queues().pause("emails");
    /// @endcode
    [[nodiscard]] queue_controls queues() const { return queue_controls(core_); }

    /// Creates a waitpoint token: a run waits on it (ctx.wait_for_token) until someone completes
    /// it (complete_token) or its timeout passes. With an idempotency key held by an earlier
    /// token (within its ttl), returns that token (`existing`). Throws options_error for bad options.
    /// @code
    /// auto token = rt.create_token({.timeout = 24h, .idempotency_key = "approve-order-17", .tags = {"order_17"}});
    /// @endcode
    [[nodiscard]] waitpoint_token create_token(const token_options& options = {});
    /// Completes a waiting token with `data` (any JSON; a type with to_json converts): every run
    /// waiting on it continues with the data. From any thread (a handler, another task); with a
    /// shared database, from any process on it. Answers already_completed, changing nothing, for
    /// a token completed before. Throws unknown_token_error for an unknown id and
    /// token_timed_out_error for a token whose timeout passed.
    token_completion complete_token(std::string_view token_id, const nlohmann::json& data = nullptr);
    /// The token with this id and its status now (waiting, completed, timed_out), if it exists.
    [[nodiscard]] std::optional<token_record> token(std::string_view token_id) const;
    /// The tokens matching `filter` (status, tag), newest first.
    /// @code
    /// for (const auto& t : rt.tokens({.status = taskkit::token_status::waiting})) remind(t.id);
    /// @endcode
    [[nodiscard]] std::vector<token_record> tokens(const token_filter& filter = {}) const;
    /// Calls `callback` on every status change of every run, on the thread that made the
    /// change, as it happens. Calls to one subscriber never overlap. Keep the callback short.
    [[nodiscard]] subscription subscribe(std::function<void(const status_event&)> callback);

    /// Follows the status changes of one run.
    [[nodiscard]] subscription subscribe(std::string run_id, std::function<void(const status_event&)> callback);

    /// Follows the status changes of the runs matching `filter` (its paging fields are ignored).
    [[nodiscard]] subscription subscribe(run_filter filter, std::function<void(const status_event&)> callback);

    /// Realtime (Trigger.dev's runs.subscribeToRun): every change of one run as it happens — its
    /// status, its metadata (a child's change of its parent's included), each chunk appended to
    /// its streams — on the thread that made it. Calls to one subscriber never overlap.
    /// @code
    /// auto live = rt.watch(handle.id(), [](const taskkit::run_update& u) {
    ///     if (u.kind == taskkit::update_kind::metadata) fmt::print("{}\n", u.metadata->dump());
    /// });
    /// @endcode
    [[nodiscard]] subscription watch(std::string run_id, std::function<void(const run_update&)> callback);

    /// Realtime for every run matching `filter` (subscribeToRunsWithTag: `.tags`; subscribeToBatch:
    /// `.batch_id`); its paging fields are ignored.
    [[nodiscard]] subscription watch(run_filter filter, std::function<void(const run_update&)> callback);

    /// Stream `name` of the run with this id: follow it as it grows, or read it (stream_reader).
    [[nodiscard]] stream_reader stream(std::string run_id, std::string name) const;

    /// One page of the runs matching `filter`, newest first.
    /// @code
    /// auto page = rt.list({.tasks = {"send-email"}, .statuses = {taskkit::run_status::failed}, .limit = 50});
    /// while (!page.next_cursor.empty()) page = rt.list({.tasks = {"send-email"}, .cursor = page.next_cursor});
    /// @endcode
    [[nodiscard]] run_page list(const run_filter& filter = {}) const { return core_->runs().list(filter); }

    /// Triggers a new run with the payload of the run with this id. Throws state_error when the
    /// backend does not hold it.
    run_handle<nlohmann::json> replay(std::string_view run_id);

    /// Moves the start of a delayed run (throws state_error for a run that is not delayed).
    void reschedule(std::string_view run_id, const run_delay& delay);

    /// For a runtime without worker threads (`.workers = 0`): runs everything runnable on this
    /// thread, jumping a virtual clock from timer to timer, until nothing is left but recurring
    /// timers (active schedules), which would never end.
    void run_until_idle();

    /// Finishes executing runs, cancels the rest and joins the threads (the destructor does this).
    void shutdown() { core_->shutdown(); }

    [[nodiscard]] const std::shared_ptr<taskkit::clock>& clock() const noexcept { return core_->time(); }
    [[nodiscard]] taskkit::registry& registry() const noexcept { return core_->tasks(); }
    [[nodiscard]] const machine& capacity() const noexcept { return core_->capacity(); }
    /// The worker threads it was created with (0 for a runtime driven by hand).
    [[nodiscard]] std::size_t workers() const noexcept { return core_->worker_count(); }

    /// The engine (for taskkit's own headers).
    [[nodiscard]] const std::shared_ptr<detail::runtime_core>& core() const noexcept { return core_; }

private:
    std::shared_ptr<detail::run_state> find_or_throw(std::string_view run_id) const;

    std::shared_ptr<detail::runtime_core> core_;
};

}  // namespace taskkit

namespace taskkit::detail {

/// The built-in default runtime's core, for triggers outside any run (see builtin_default_core).
inline std::shared_ptr<runtime_core> make_builtin_core() { return runtime::default_runtime().core(); }
inline const bool builtin_core_installed = (builtin_core.store(&make_builtin_core, std::memory_order_release), true);

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/runtime.ipp>
#endif
