/// @file detail/attempt.hpp
/// One attempt of a run: middleware, init, on_start and the run function, then the hooks its outcome
/// calls for and the retry decision. Type-independent: a task definition calls the typed parts
/// (task_definition_base::call_run, call_hook), so this is compiled with the engine, once, and not in
/// every file that defines a task. Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <taskkit/clock.hpp>
#include <taskkit/detail/run_state.hpp>
#include <taskkit/detail/task_definition_base.hpp>
#include <taskkit/error.hpp>
#include <taskkit/global_hooks.hpp>
#include <taskkit/run_context.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>
#include <taskkit/wait_info.hpp>

namespace taskkit::detail {

/// What the runtime tells an attempt about its place in the run.
struct attempt_env {
    int attempt_in_budget = 1;                        ///< 1 for the first attempt counted against max_attempts
    bool first_attempt = true;                        ///< on_start runs only then
    const std::function<double()>* random = nullptr;  ///< uniform in [0, 1), for randomized retry delays
    const clock* time = nullptr;
    std::function<void(std::string_view hook, error_info)> hook_failed;  ///< records a hook's exception
    const global_hooks* globals = nullptr;  ///< the registry's global hooks (registry::hooks()), if any
    /// globals->held_points() when the attempt started: a hook registered while it runs applies
    /// from the next attempt on.
    unsigned global_points = 0;
};

/// How an attempt ended, and what comes next.
struct attempt_result {
    run_status next = run_status::completed;               ///< completed, retrying, failed, canceled or timed_out
    std::optional<std::chrono::milliseconds> retry_delay;  ///< set when next == retrying
    std::optional<error_info> error;                       ///< set unless completed
};

/// A stored copy of a middleware's `next` outliving its attempt: the gate between the two. The
/// `next` a middleware receives holds the gate, never the attempt's stack; the attempt closes it
/// before returning, and a call after that throws state_error instead of running a body that is
/// gone. A call from another thread while the middleware waits is fine: closing waits for it.
class next_gate {
public:
    /// `body` is read only by a call() made before close().
    explicit next_gate(const std::function<void()>& body) noexcept : body_(&body) {}

    /// Runs the body once; a second call is abort_run, a call after close() is state_error.
    void call() {
        int expected = open;
        if (!state_.compare_exchange_strong(expected, running)) {
            if (expected == closed) {
                throw state_error(
                    "a middleware called next() after its attempt had ended (it kept a copy of next); call next() "
                    "before the middleware returns");
            }
            throw abort_run("middleware called next() more than once");
        }
        struct finish {
            std::atomic<int>& state;
            ~finish() {
                state.store(finished);
                state.notify_all();
            }
        } done{state_};
        (*body_)();
    }

    /// Ends the attempt's side: waits for a call still running, then makes later calls throw.
    void close() noexcept {
        int current = state_.load();
        while (current != closed) {
            if (current == running) {
                state_.wait(running);
                current = state_.load();
            } else if (state_.compare_exchange_weak(current, closed)) {
                current = closed;
            }
        }
    }

private:
    static constexpr int open = 0;      // next() not called yet
    static constexpr int running = 1;   // next() is running the body
    static constexpr int finished = 2;  // next() has run
    static constexpr int closed = 3;    // the attempt is over
    const std::function<void()>* body_;
    std::atomic<int> state_{open};
};

/// Whether an error ends the run at once, whatever attempts are left.
bool never_retried(const error_info& e);

/// Whether an error ends the run at once, whatever attempts are left.
bool never_retried(const error_info& e);

/// Runs one attempt of `run` (a run of `task`): middleware, init, on_start, run, then the hooks its
/// outcome calls for (on_success or handle_error, then on_failure and on_complete once the run has
/// ended), then cleanup. A hook's exception is handed to env.hook_failed and changes nothing else.
attempt_result execute_attempt(const task_definition_base& task, run_state& run, run_context& ctx,
                               const attempt_env& env);

/// Runs on_failure and on_complete for a run that ended without an attempt executing (canceled
/// while waiting to retry, say).
void run_terminal_hooks(const task_definition_base& task, run_state& run, run_context& ctx, const error_info& error,
                        const attempt_env& env);

struct attempt_scope;

/// Calls on_wait (the task's, then the global ones) when a wait of `run` begins, and on_resume
/// (the task's, then the global ones) when the notice is destroyed, once the run executes again:
/// for the attempt of `run` executing on this thread, if any (none for a wait made by a hook of
/// a run that ended between attempts). Exceptions of these hooks are recorded as hook errors.
/// @code
/// wait_notice notice(run);
/// if (notice.wanted()) notice.begin(wait_info{...});
/// @endcode
class wait_notice {
public:
    explicit wait_notice(run_state& run) noexcept;
    wait_notice(const wait_notice&) = delete;
    wait_notice& operator=(const wait_notice&) = delete;
    ~wait_notice();

    /// Whether a hook would be called: build the wait_info only then.
    [[nodiscard]] bool wanted() const noexcept { return scope_ != nullptr; }
    /// Calls on_wait with `info` (kept for on_resume).
    void begin(wait_info info);

private:
    attempt_scope* scope_ = nullptr;
    bool begun_ = false;
    wait_info info_;
};

/// The wait_info of a wait on runs: a batch when they all belong to one batch, else runs.
[[nodiscard]] wait_info describe_run_wait(const std::vector<std::shared_ptr<run_state>>& runs, bool any);

/// Calls on_cancel (the global ones, then the task's) for the attempt of `run` executing now on
/// any thread, on this thread, once per attempt; returns when they have returned. The caller
/// requests the run's stop afterwards. Exceptions are recorded as hook errors. Does nothing when
/// no attempt of `run` executes, or neither the task nor the registry defines on_cancel.
void notify_cancel(run_state& run) noexcept;

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/attempt.ipp>
#endif
