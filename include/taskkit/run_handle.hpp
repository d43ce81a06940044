/// @file run_handle.hpp
/// A handle to one run: its status, its result, and control over it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include <taskkit/detail/run_state.hpp>
#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/detail/time_math.hpp>
#include <taskkit/error.hpp>
#include <taskkit/fwd.hpp>
#include <taskkit/result.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>
#include <taskkit/run_update.hpp>
#include <taskkit/stream_reader.hpp>
#include <taskkit/subscription.hpp>

namespace taskkit {

/// Returned by `trigger`: follows one run. Copies refer to the same run. `R` is the task's
/// result type; a handle from a trigger by id reads the output as JSON (`run_handle<nlohmann::json>`).
/// Waiting inside a run gives up the run's queue slot while it waits (see docs/triggering.md).
/// @code
/// auto handle = hello_world.trigger({.message = "hi"});
/// handle.wait();
/// if (handle.status() == taskkit::run_status::completed) ...
/// @endcode
template <class R>
class [[nodiscard]] run_handle {
public:
    using result_type = R;

    run_handle() = default;
    explicit run_handle(std::shared_ptr<detail::run_state> state, bool cached = false)
        : state_(std::move(state)), cached_(cached) {}

    /// False for a default-constructed handle.
    [[nodiscard]] bool valid() const noexcept { return state_ != nullptr; }

    /// The run's id, e.g. "run_3f9c0a1b2c0000000001".
    [[nodiscard]] const std::string& id() const { return state().id; }

    /// The task's id.
    [[nodiscard]] std::string_view task_id() const { return state().task_id; }

    /// The run's status now.
    [[nodiscard]] run_status status() const { return state().current_status(); }

    /// True when this handle points at an earlier run instead of a new one (idempotency keys).
    [[nodiscard]] bool is_cached() const noexcept { return cached_; }

    /// Blocks until the run reaches a terminal status. Inside a run, it also returns when the
    /// waiting run is canceled (or times out); get() and result() then throw canceled_error.
    void wait() const { wait_impl(std::nullopt); }

    /// Blocks until the run is terminal or `timeout` passes (real time); true when terminal.
    template <class Rep, class Period>
    bool wait_for(std::chrono::duration<Rep, Period> timeout) const {
        return wait_impl(detail::deadline_after(timeout));
    }

    /// Waits, then returns the output; throws the run's error when it did not complete (the
    /// original exception where it is still in memory; canceled_error, timed_out_error,
    /// expired_error for those outcomes).
    R get() const {
        wait();
        const auto& s = state();
        std::lock_guard lock(s.mutex);
        if (!is_terminal(s.status)) throw_waiter_canceled();
        if (s.status != run_status::completed) {
            if (const auto& error = s.error_locked()) error->rethrow();
            throw run_failed_error("run " + s.id + " ended " + std::string(to_string(s.status)));
        }
        return output_locked();
    }

    /// Waits, then returns the outcome without throwing.
    [[nodiscard]] taskkit::result<R> result() const {
        wait();
        const auto& s = state();
        std::lock_guard lock(s.mutex);
        if (!is_terminal(s.status)) throw_waiter_canceled();
        if constexpr (std::is_void_v<R>) {
            return taskkit::result<void>(s.id, s.status, s.error_locked());
        } else {
            if (s.status == run_status::completed)
                return taskkit::result<R>(s.id, s.status, output_locked(), std::nullopt);
            return taskkit::result<R>(s.id, s.status, std::nullopt, s.error_locked());
        }
    }

    /// Cancels the run: a queued or delayed run never starts; an executing run has its stop
    /// token requested and ends canceled when its function returns. Its children are canceled
    /// too. Returns false when the run had already ended.
    bool cancel() const {
        if (auto core = state().runtime.lock()) return core->cancel(state_);
        return false;
    }

    /// Queues a failed, canceled or timed-out run again with the same payload and a fresh
    /// attempt budget; it keeps its id. Throws state_error for a run in any other status.
    void retry() const { core("retry")->retry(state_); }

    /// Triggers a new run of the same task with the same payload, tags and machine.
    [[nodiscard]] run_handle replay() const { return run_handle(core("replay")->replay(state_)); }

    /// A copy of the run's record: status, payload, output, attempts, logs, times, children.
    [[nodiscard]] run_record snapshot() const { return state().snapshot(); }

    /// Stream `name` of the run (what its code appends with `ctx.stream(name)`): subscribe to
    /// follow it as it grows, read() it whole after the run.
    [[nodiscard]] stream_reader stream(std::string name) const {
        return stream_reader(core("follow a stream of"), state().id, std::move(name));
    }

    /// Realtime: every change of the run — status, metadata, stream chunks (runtime::watch).
    [[nodiscard]] subscription watch(std::function<void(const run_update&)> callback) const {
        auto runtime = core("watch");
        return subscription(
            runtime, runtime->watch(std::move(callback), [id = state().id](const detail::run_state& run, run_status) {
                return run.id == id;
            }));
    }

    /// The shared state (for wait_all / wait_any, batches and stores).
    [[nodiscard]] const std::shared_ptr<detail::run_state>& state_ptr() const noexcept { return state_; }

private:
    const detail::run_state& state() const {
        if (!state_) throw state_error("this run_handle refers to no run");
        return *state_;
    }

    std::shared_ptr<detail::runtime_core> core(const char* operation) const {
        auto runtime = state().runtime.lock();
        if (!runtime)
            throw runtime_stopped_error(std::string("cannot ") + operation + " run " + state_->id +
                                        ": its runtime no longer exists");
        return runtime;
    }

    bool wait_impl(std::optional<std::chrono::steady_clock::time_point> deadline) const {
        const auto& s = state();
        if (s.ended.load(std::memory_order_acquire)) return true;
        if (auto runtime = s.runtime.lock()) return runtime->wait({state_}, detail::wait_mode::all, deadline);
        // No runtime is left: a runtime ends every run when it shuts down, so this is brief.
        if (deadline) return s.ended.load(std::memory_order_acquire);
        s.wait_terminal();
        return true;
    }

    [[noreturn]] void throw_waiter_canceled() const {
        throw canceled_error("the waiting run was stopped before run " + state_->id + " ended");
    }

    R output_locked() const {
        if constexpr (std::is_void_v<R>) {
            return;
        } else if constexpr (std::is_same_v<R, nlohmann::json>) {
            return state_->output_json_locked();
        } else {
            if (state_->output_type() != &detail::output_type_tag<R>)
                return state_->output_json_locked().template get<R>();
            return *static_cast<const detail::typed_output_state<R>&>(*state_).output;
        }
    }

    std::shared_ptr<detail::run_state> state_;
    bool cached_ = false;
};

}  // namespace taskkit
