/// @file detail/impl/attempt.ipp
/// The definitions of the functions <taskkit/detail/attempt.hpp> declares: included by that header
/// (header-only, the default) or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <taskkit/detail/attempt.hpp>
#include <taskkit/detail/exception_info.hpp>
#include <taskkit/global_hooks.hpp>
#include <taskkit/hook_context.hpp>
#include <taskkit/locals.hpp>
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

/// The name a global hook's error is recorded under.
constexpr std::string_view global_name(hook_point point) noexcept {
    switch (point) {
        case hook_point::init:
            return "global init";
        case hook_point::on_start:
            return "global on_start";
        case hook_point::on_start_attempt:
            return "global on_start_attempt";
        case hook_point::on_wait:
            return "global on_wait";
        case hook_point::on_resume:
            return "global on_resume";
        case hook_point::on_cancel:
            return "global on_cancel";
        case hook_point::on_success:
            return "global on_success";
        case hook_point::on_failure:
            return "global on_failure";
        case hook_point::on_complete:
            return "global on_complete";
        case hook_point::cleanup:
            return "global cleanup";
        default:
            return "global hook";
    }
}

/// Whether the registry holds a global hook at `point`.
inline bool wants_global(const attempt_env& env, hook_point point) noexcept {
    return env.globals && ((env.global_points >> static_cast<unsigned>(point)) & 1U);
}

/// Calls the global hooks at `point`, in registration order; `guarded`: each one's exception is
/// recorded and the next still runs, else the first exception leaves (and fails the attempt).
inline void call_globals_at(const attempt_env& env, hook_point point, const task_definition_base& task, run_state& run,
                            run_context& ctx, run_status status, const error_info* error, const wait_info* wait,
                            bool guarded) {
    const hook_context hc(task, run, ctx, status, error, wait);
    for (const auto& hook : env.globals->at(point)) {
        if (guarded) {
            guard(env, global_name(point), [&] { (*hook)(hc); });
        } else {
            (*hook)(hc);
        }
    }
}

/// call_globals_at when a hook is registered at `point`: a point without hooks costs a bit test.
inline void call_globals(const attempt_env& env, hook_point point, const task_definition_base& task, run_state& run,
                         run_context& ctx, run_status status, const error_info* error, const wait_info* wait,
                         bool guarded) {
    if (wants_global(env, point)) call_globals_at(env, point, task, run, ctx, status, error, wait, guarded);
}

/// Runs `inner` inside the global middleware from the `i`th on (the first registered is outermost).
inline void run_global_middleware(const std::vector<std::shared_ptr<const global_hooks::middleware_hook>>& chain,
                                  std::size_t i, const hook_context& hc, const std::function<void()>& inner) {
    if (i == chain.size()) {
        inner();
        return;
    }
    bool called = false;
    const std::function<void()> level = [&] {
        called = true;
        run_global_middleware(chain, i + 1, hc, inner);
    };
    // As for the task's middleware: `next` holds the gate, which a kept copy cannot get past.
    auto gate = std::make_shared<next_gate>(level);
    struct closer {
        next_gate& gate;
        ~closer() { gate.close(); }
    } closing{*gate};
    const std::function<void()> next = [gate] { gate->call(); };
    (*chain[i])(hc, next);
    gate->close();
    if (!called) throw abort_run("a global middleware returned without calling next()");
}

/// The attempts executing on this thread, innermost first (a run executing a child inline).
inline attempt_scope*& current_scope() noexcept {
    static thread_local attempt_scope* top = nullptr;
    return top;
}

/// The attempts that on_cancel may be called for, from any thread.
struct live_attempts {
    std::mutex mutex;
    std::condition_variable done;
    std::vector<attempt_scope*> scopes;
};
inline live_attempts& live() noexcept {
    static live_attempts instance;
    return instance;
}

}  // namespace attempt_detail

/// An attempt in progress, as wait_notice and notify_cancel find it.
struct attempt_scope {
    const task_definition_base& task;
    run_state& run;
    run_context& ctx;
    const attempt_env& env;
    attempt_scope* previous = nullptr;
    bool cancelable = false;     // listed in live(): a task's or a global on_cancel exists
    bool cancel_called = false;  // guarded by live().mutex
    int cancel_callers = 0;      // on_cancel calls running now; guarded by live().mutex
};

TASKKIT_DECL wait_notice::wait_notice(run_state& run) noexcept {
    attempt_scope* scope = attempt_detail::current_scope();
    if (!scope || &scope->run != &run) return;
    if (scope->task.defines(hook_point::on_wait) || scope->task.defines(hook_point::on_resume) ||
        attempt_detail::wants_global(scope->env, hook_point::on_wait) ||
        attempt_detail::wants_global(scope->env, hook_point::on_resume))
        scope_ = scope;
}

TASKKIT_DECL void wait_notice::begin(wait_info info) {
    if (!scope_ || begun_) return;
    info_ = std::move(info);
    begun_ = true;
    auto& s = *scope_;
    attempt_detail::call_globals(s.env, hook_point::on_wait, s.task, s.run, s.ctx, run_status::waiting, nullptr, &info_,
                                 true);
    if (s.task.defines(hook_point::on_wait))
        attempt_detail::guard(s.env, "on_wait",
                              [&] { s.task.call_wait_hook(hook_point::on_wait, s.run, s.ctx, info_); });
}

TASKKIT_DECL wait_notice::~wait_notice() {
    if (!begun_) return;
    auto& s = *scope_;
    if (s.task.defines(hook_point::on_resume))
        attempt_detail::guard(s.env, "on_resume",
                              [&] { s.task.call_wait_hook(hook_point::on_resume, s.run, s.ctx, info_); });
    attempt_detail::guard(s.env, "global on_resume", [&] {
        attempt_detail::call_globals(s.env, hook_point::on_resume, s.task, s.run, s.ctx, run_status::executing, nullptr,
                                     &info_, true);
    });
}

TASKKIT_DECL wait_info describe_run_wait(const std::vector<std::shared_ptr<run_state>>& runs, bool any) {
    wait_info info;
    info.kind = wait_kind::run;
    info.any = any;
    info.run_ids.reserve(runs.size());
    bool one_batch = !runs.empty();
    for (const auto& r : runs) {
        info.run_ids.push_back(r->id);
        std::string batch;
        {
            std::lock_guard lock(r->mutex);  // the extras may be allocated meanwhile
            if (const auto* extras = r->extras_if_any()) batch = extras->batch_id;
        }
        if (batch.empty() || (!info.batch_id.empty() && batch != info.batch_id)) {
            one_batch = false;
        } else {
            info.batch_id = std::move(batch);
        }
    }
    if (one_batch) {
        info.kind = wait_kind::batch;
        info.any = false;
    } else {
        info.batch_id.clear();
    }
    return info;
}

TASKKIT_DECL void notify_cancel(run_state& run) noexcept {
    auto& live = attempt_detail::live();
    attempt_scope* scope = nullptr;
    {
        std::lock_guard lock(live.mutex);
        for (auto* s : live.scopes) {
            if (&s->run == &run) {
                scope = s;
                break;
            }
        }
        if (!scope || scope->cancel_called) return;
        scope->cancel_called = true;
        ++scope->cancel_callers;
    }
    auto& s = *scope;
    attempt_detail::guard(s.env, "global on_cancel", [&] {
        attempt_detail::call_globals(s.env, hook_point::on_cancel, s.task, s.run, s.ctx, run_status::executing, nullptr,
                                     nullptr, true);
    });
    if (s.task.defines(hook_point::on_cancel))
        attempt_detail::guard(s.env, "on_cancel", [&] {
            s.task.call_hook(hook_point::on_cancel, s.run, s.ctx, run_status::executing, nullptr);
        });
    {
        std::lock_guard lock(live.mutex);
        --scope->cancel_callers;
    }
    live.done.notify_all();
}

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
    // Outside an attempt (a run canceled while waiting to retry) the hooks get locals of their own.
    std::optional<taskkit::locals> own_locals;
    if (!context_access::has_locals(ctx)) context_access::set_locals(ctx, &own_locals.emplace());
    if (task.defines(hook_point::on_failure)) {
        attempt_detail::guard(env, "on_failure",
                              [&] { task.call_hook(hook_point::on_failure, run, ctx, status, &error); });
    }
    attempt_detail::call_globals(env, hook_point::on_failure, task, run, ctx, status, &error, nullptr, true);
    if (task.defines(hook_point::on_complete)) {
        attempt_detail::guard(env, "on_complete",
                              [&] { task.call_hook(hook_point::on_complete, run, ctx, status, &error); });
    }
    attempt_detail::call_globals(env, hook_point::on_complete, task, run, ctx, status, &error, nullptr, true);
    if (own_locals) {
        own_locals->clear();
        context_access::set_locals(ctx, nullptr);
    }
}

TASKKIT_DECL attempt_result execute_attempt(const task_definition_base& task, run_state& run, run_context& ctx,
                                            const attempt_env& env) {
    std::optional<error_info> failure;
    bool ran = false;

    // The attempt's locals, and where wait_notice and notify_cancel find the attempt. Undone in
    // this order when the attempt returns, after cleanup: no on_cancel call is left running, the
    // locals are destroyed (the last set first), the attempt is no longer this thread's.
    taskkit::locals attempt_locals;
    context_access::set_locals(ctx, &attempt_locals);
    attempt_scope scope{task, run, ctx, env, attempt_detail::current_scope()};
    scope.cancelable = task.defines(hook_point::on_cancel) || attempt_detail::wants_global(env, hook_point::on_cancel);
    if (scope.cancelable) {
        auto& live = attempt_detail::live();
        std::lock_guard lock(live.mutex);
        live.scopes.push_back(&scope);
    }
    attempt_detail::current_scope() = &scope;
    struct scope_exit {
        attempt_scope& scope;
        taskkit::locals& locals;
        ~scope_exit() {
            if (scope.cancelable) {
                auto& live = attempt_detail::live();
                std::unique_lock lock(live.mutex);
                live.done.wait(lock, [&] { return scope.cancel_callers == 0; });
                std::erase(live.scopes, &scope);
            }
            locals.clear();
            context_access::set_locals(scope.ctx, nullptr);
            attempt_detail::current_scope() = scope.previous;
        }
    } const exiting{scope, attempt_locals};

    auto body = [&] {
        ran = true;
        attempt_detail::call_globals(env, hook_point::init, task, run, ctx, run_status::executing, nullptr, nullptr,
                                     false);
        if (task.defines(hook_point::init)) task.call_hook(hook_point::init, run, ctx, run_status::executing, nullptr);
        if (env.first_attempt) {
            attempt_detail::call_globals(env, hook_point::on_start, task, run, ctx, run_status::executing, nullptr,
                                         nullptr, false);
            if (task.defines(hook_point::on_start))
                task.call_hook(hook_point::on_start, run, ctx, run_status::executing, nullptr);
        }
        attempt_detail::call_globals(env, hook_point::on_start_attempt, task, run, ctx, run_status::executing, nullptr,
                                     nullptr, false);
        if (task.defines(hook_point::on_start_attempt))
            task.call_hook(hook_point::on_start_attempt, run, ctx, run_status::executing, nullptr);
        task.call_run(run, ctx);
    };
    auto task_level = [&] {
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
    };
    try {
        if (attempt_detail::wants_global(env, hook_point::middleware)) {
            const auto chain = env.globals->middlewares();
            const hook_context hc(task, run, ctx, run_status::executing, nullptr, nullptr);
            const std::function<void()> inner = task_level;
            attempt_detail::run_global_middleware(chain, 0, hc, inner);
        } else {
            task_level();
        }
    } catch (...) {
        failure = describe_exception(std::current_exception());
    }

    attempt_result result;
    bool canceled = false;
    bool timed_out = false;
    bool lease_lost = false;
    // A cancel, a timeout or a lost lease sets its flag and then requests the stop: with no stop
    // requested and no failure the attempt completed, and the run's lock need not be taken to read
    // the flags.
    if (failure || run.stop.stop_requested()) {
        std::lock_guard lock(run.mutex);
        canceled = run.cancel_requested;
        timed_out = run.timed_out;
        lease_lost = run.lease_lost;  // set only while this attempt is the one executing here
        // The output counts only when the attempt completed (a middleware may throw after next()).
        if (failure || canceled || timed_out || lease_lost) run.reset_output_locked();
    }

    if (lease_lost) {
        // Another process took the run over: this outcome will be refused, and the run goes on
        // there. No hook of the run's end runs here, whatever the function did.
        result.next = run_status::failed;
        error_info lost;
        lost.type = "taskkit::error";
        lost.message = "this process lost the attempt's lease: another process took the run over";
        lost.code = error_code::run_crashed;
        result.error = std::move(lost);
    } else if (canceled || timed_out) {
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
        attempt_detail::call_globals(env, hook_point::on_success, task, run, ctx, run_status::completed, nullptr,
                                     nullptr, true);
        if (task.defines(hook_point::on_complete)) {
            attempt_detail::guard(env, "on_complete", [&] {
                task.call_hook(hook_point::on_complete, run, ctx, run_status::completed, nullptr);
            });
        }
        attempt_detail::call_globals(env, hook_point::on_complete, task, run, ctx, run_status::completed, nullptr,
                                     nullptr, true);
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
    attempt_detail::call_globals(env, hook_point::cleanup, task, run, ctx, result.next,
                                 result.error ? &*result.error : nullptr, nullptr, true);
    return result;
}

}  // namespace taskkit::detail
