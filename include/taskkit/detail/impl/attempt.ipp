/// @file detail/impl/attempt.ipp
/// The definitions of the functions <taskkit/detail/attempt.hpp> declares: included by that header
/// (header-only, the default) or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <exception>
#include <memory>
#include <utility>

#include <taskkit/detail/attempt.hpp>
#include <taskkit/detail/exception_info.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/task_options.hpp>

namespace taskkit::detail {

namespace attempt_detail {

template <class F>
void guard(const attempt_env& env, std::string_view hook, F&& f) {
    try {
        f();
    } catch (...) {
        if (env.hook_failed) env.hook_failed(hook, describe_exception(std::current_exception()));
    }
}

}  // namespace attempt_detail

TASKKIT_DECL bool never_retried(const error_info& e) {
    return e.code && (*e.code == error_code::aborted || *e.code == error_code::invalid_payload ||
                      *e.code == error_code::validation_failed || *e.code == error_code::run_canceled ||
                      *e.code == error_code::run_timed_out);
}

TASKKIT_DECL void run_terminal_hooks(const task_definition_base& task, run_state& run, run_context& ctx,
                                     const error_info& error, const attempt_env& env) {
    const run_status status = error.code == error_code::run_canceled    ? run_status::canceled
                              : error.code == error_code::run_timed_out ? run_status::timed_out
                              : error.code == error_code::run_expired   ? run_status::expired
                                                                        : run_status::failed;
    if (task.defines(hook_point::on_failure)) {
        attempt_detail::guard(env, "on_failure",
                              [&] { task.call_hook(hook_point::on_failure, run, ctx, status, &error); });
    }
    if (task.defines(hook_point::on_complete)) {
        attempt_detail::guard(env, "on_complete",
                              [&] { task.call_hook(hook_point::on_complete, run, ctx, status, &error); });
    }
}

TASKKIT_DECL attempt_result execute_attempt(const task_definition_base& task, run_state& run, run_context& ctx,
                                            const attempt_env& env) {
    std::optional<error_info> failure;
    bool ran = false;

    auto body = [&] {
        ran = true;
        if (task.defines(hook_point::init)) task.call_hook(hook_point::init, run, ctx, run_status::executing, nullptr);
        if (env.first_attempt && task.defines(hook_point::on_start))
            task.call_hook(hook_point::on_start, run, ctx, run_status::executing, nullptr);
        task.call_run(run, ctx);
    };
    try {
        if (task.defines(hook_point::middleware)) {
            // `next` holds the gate, not the body: a copy the middleware keeps may outlive this frame.
            const std::function<void()> run_body = body;
            auto gate = std::make_shared<next_gate>(run_body);
            struct closer {
                next_gate& gate;
                ~closer() { gate.close(); }
            } closing{*gate};
            const std::function<void()> next = [gate] { gate->call(); };
            task.call_middleware(run, ctx, next);
            gate->close();
            if (!ran) throw abort_run("middleware returned without calling next()");
        } else {
            body();
        }
    } catch (...) {
        failure = describe_exception(std::current_exception());
    }

    attempt_result result;
    bool canceled = false;
    bool timed_out = false;
    // A cancel or a timeout sets its flag and then requests the stop: with no stop requested and
    // no failure the attempt completed, and the run's lock need not be taken to read the flags.
    if (failure || run.stop.stop_requested()) {
        std::lock_guard lock(run.mutex);
        canceled = run.cancel_requested;
        timed_out = run.timed_out;
        // The output counts only when the attempt completed (a middleware may throw after next()).
        if (failure || canceled || timed_out) run.reset_output_locked();
    }

    if (canceled || timed_out) {
        // Cancellation and timeouts win over whatever the function did, and are never retried.
        result.next = canceled ? run_status::canceled : run_status::timed_out;
        result.error = canceled ? make_error_info<canceled_error>() : make_error_info<timed_out_error>();
        run_terminal_hooks(task, run, ctx, *result.error, env);
    } else if (!failure) {
        result.next = run_status::completed;
        if (task.defines(hook_point::on_success)) {
            attempt_detail::guard(env, "on_success", [&] {
                task.call_hook(hook_point::on_success, run, ctx, run_status::completed, nullptr);
            });
        }
        if (task.defines(hook_point::on_complete)) {
            attempt_detail::guard(env, "on_complete", [&] {
                task.call_hook(hook_point::on_complete, run, ctx, run_status::completed, nullptr);
            });
        }
    } else {
        std::optional<std::chrono::milliseconds> delay;
        if (!never_retried(*failure)) {
            retry_options policy = task.retry;
            policy.max_attempts = run.max_attempts;  // the trigger's override, if any
            const double jitter = policy.randomize && env.random && *env.random ? (*env.random)() : 0.0;
            delay = retry_delay(policy, env.attempt_in_budget, jitter);
        }
        const bool attempts_left = delay.has_value();
        if (task.defines(hook_point::handle_error)) {
            attempt_detail::guard(env, "handle_error", [&] {
                error_decision decision = task.call_handle_error(run, ctx, *failure);
                if (decision.error) {  // a new error: its message, thrown as run_failed_error by get()
                    failure->message = *decision.error;
                    failure->type = "taskkit::run_failed_error";
                    failure->code = error_code::run_failed;
                    failure->exception = std::make_exception_ptr(run_failed_error(*decision.error));
                }
                if (decision.skip_retrying) {
                    delay.reset();
                } else if (attempts_left && decision.retry_at) {
                    // Clamped to [0, max_retry_delay] without overflowing, whatever the time.
                    delay = retry_delay_until(*decision.retry_at, env.time->now());
                } else if (attempts_left && decision.retry_delay) {
                    delay = clamp_retry_delay(*decision.retry_delay);
                }
            });
        }
        result.error = failure;
        if (delay) {
            result.next = run_status::retrying;
            result.retry_delay = delay;
        } else {
            result.next = run_status::failed;
            run_terminal_hooks(task, run, ctx, *failure, env);
        }
    }
    if (task.defines(hook_point::cleanup)) {
        attempt_detail::guard(env, "cleanup", [&] {
            task.call_hook(hook_point::cleanup, run, ctx, result.next, result.error ? &*result.error : nullptr);
        });
    }
    return result;
}

}  // namespace taskkit::detail
