/// @file detail/task_definition.hpp
/// A typed task definition: decodes payloads and runs an attempt with its hooks in order.
#pragma once

#include <taskkit/detail/config.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include <taskkit/detail/decode_failure.hpp>
#include <taskkit/detail/exception_info.hpp>
#include <taskkit/detail/json_depth.hpp>
#include <taskkit/detail/run_state.hpp>
#include <taskkit/detail/task_definition_base.hpp>
#include <taskkit/error.hpp>
#include <taskkit/result.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/task_options.hpp>

namespace taskkit::detail {

/// Throws payload_error (code invalid_payload) when `payload` nests deeper than
/// max_payload_depth, naming the limit and where it is passed. It walks the payload without
/// recursion, so it is safe on any depth; it comes before anything copies, compares or dumps the
/// payload (all of which recurse).
void check_payload_depth(std::string_view task_id, const nlohmann::json& payload);

/// Decodes `payload` (its depth already checked) into P, or throws payload_error naming the task
/// and what did not fit: a member of the wrong type, a missing one, or a number its member cannot
/// hold (see decode_exact). `failure` is the message's verb phrase.
template <class P>
P decode_payload(std::string_view task_id, const nlohmann::json& payload,
                 std::string_view failure = "does not decode") {
    if constexpr (std::is_same_v<P, nlohmann::json>) {
        return payload;
    } else {
        try {
            return decode_exact<P>(payload);
        } catch (const decode_error& e) {
            throw payload_error("payload for task '" + std::string(task_id) + "' " + std::string(failure) + ": " +
                                e.what());
        }
    }
}

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

template <class P, class R>
class task_definition final : public task_definition_base {
public:
    using run_type = typed_run_state<P, R>;

    explicit task_definition(task_options<P, R> options) : options_(std::move(options)) {
        if (options_.id.empty()) throw options_error("a task needs a non-empty .id");
        if (!options_.run) throw options_error("task '" + options_.id + "' needs a .run function");
        options_.retry.validate();
        options_.queue.validate("task '" + options_.id + "'");
        if (!options_.machine.valid())
            throw options_error("task '" + options_.id +
                                "': machine cpu and memory must both be greater than 0 (or both 0: machines::none)");
        if (options_.max_duration && options_.max_duration->count() <= 0)
            throw options_error("task '" + options_.id + "': max_duration must be greater than 0");
        id = options_.id;
        description = options_.description;
        retry = options_.retry;
        queue = options_.queue;
        if (queue.name.empty()) queue.name = id;
        machine_spec = options_.machine;
        max_duration = options_.max_duration;
    }

    [[nodiscard]] const task_options<P, R>& options() const noexcept { return options_; }

    /// A new run. A JSON payload's depth is checked (max_payload_depth) before anything copies
    /// it. A task with a payload validator checks the payload as JSON first (by reference when P
    /// is JSON; json_schema has a depth check of its own, which reports a too-deep payload as a
    /// maxDepth violation), then decodes it back into P, so that a typed payload is accepted
    /// exactly when its JSON would be by id. A plain typed task pays for none of this.
    [[nodiscard]] std::shared_ptr<run_type> make_run(P payload) const {
        if constexpr (std::is_same_v<P, nlohmann::json>) {
            if (validate_payload) validate_payload(payload);
            check_payload_depth(id, payload);
        } else if (validate_payload) {
            // A P holding a JSON member deeper than the stack allows overflows in this conversion;
            // only payloads that are JSON already can be checked before any copy.
            const nlohmann::json as_json(payload);
            validate_payload(as_json);
            check_payload_depth(id, as_json);
            try {
                (void)as_json.get<P>();  // its numbers came from P: no range check needed
            } catch (const std::exception& e) {
                throw payload_error("payload for task '" + id + "' matches its schema but does not decode: " +
                                    describe_decode_failure<P>(as_json, e));
            }
        }
        return std::make_shared<run_type>(std::move(payload));
    }

    /// A new run from JSON: validated (when the task has a validator, by reference), its depth
    /// checked, and decoded, numbers included (see decode_payload).
    [[nodiscard]] std::shared_ptr<run_state> make_run_from_json(const nlohmann::json& payload) const override {
        if (validate_payload) validate_payload(payload);
        check_payload_depth(id, payload);
        return std::make_shared<run_type>(decode_payload<P>(
            id, payload, validate_payload ? "matches its schema but does not decode" : "does not decode"));
    }

    /// Sets the payload schema and validator (before the task is registered).
    void set_payload_validation(nlohmann::json schema, std::function<void(const nlohmann::json&)> validate) {
        payload_schema = std::move(schema);
        validate_payload = std::move(validate);
    }

    [[nodiscard]] std::shared_ptr<run_state> clone_run(const run_state& run) const override {
        return std::make_shared<run_type>(static_cast<const run_type&>(run).payload);  // validated once already
    }

    attempt_result execute_attempt(run_state& base, run_context& ctx, const attempt_env& env) const override {
        auto& run = static_cast<run_type&>(base);
        const P& payload = run.payload;
        std::optional<error_info> failure;
        bool ran = false;
        [[maybe_unused]] std::optional<result_storage> output;

        auto body = [&] {
            ran = true;
            if (options_.init) options_.init(payload, ctx);
            if (env.first_attempt && options_.on_start) options_.on_start(payload, ctx);
            if constexpr (std::is_void_v<R>) {
                options_.run(payload, ctx);
            } else {
                output.emplace(options_.run(payload, ctx));
            }
        };
        try {
            if (options_.middleware) {
                // `next` holds the gate, not the body: a copy the middleware keeps may outlive this frame.
                const std::function<void()> run_body = body;
                auto gate = std::make_shared<next_gate>(run_body);
                struct closer {
                    next_gate& gate;
                    ~closer() { gate.close(); }
                } closing{*gate};
                const std::function<void()> next = [gate] { gate->call(); };
                options_.middleware(payload, ctx, next);
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
        {
            std::lock_guard lock(run.mutex);
            canceled = run.cancel_requested;
            timed_out = run.timed_out;
            if constexpr (!std::is_void_v<R>) {
                if (!failure && !canceled && !timed_out) run.output = std::move(*output);
            }
        }

        if (canceled || timed_out) {
            // Cancellation and timeouts win over whatever the function did, and are never retried.
            result.next = canceled ? run_status::canceled : run_status::timed_out;
            result.error = canceled ? make_error_info<canceled_error>() : make_error_info<timed_out_error>();
            terminal_failure_hooks(run, ctx, *result.error, env);
        } else if (!failure) {
            result.next = run_status::completed;
            if (options_.on_success) {
                guard(env, "on_success", [&] {
                    if constexpr (std::is_void_v<R>) {
                        options_.on_success(payload, ctx);
                    } else {
                        // Written by this thread above; from here on only read until the run ends.
                        const R& out = *run.output;
                        options_.on_success(payload, out, ctx);
                    }
                });
            }
            if (options_.on_complete) {
                guard(env, "on_complete", [&] { options_.on_complete(payload, completed_result(run), ctx); });
            }
        } else {
            std::optional<std::chrono::milliseconds> delay;
            if (!never_retried(*failure)) {
                retry_options policy = options_.retry;
                policy.max_attempts = run.max_attempts;  // the trigger's override, if any
                const double jitter = policy.randomize && env.random && *env.random ? (*env.random)() : 0.0;
                delay = retry_delay(policy, env.attempt_in_budget, jitter);
            }
            const bool attempts_left = delay.has_value();
            if (options_.handle_error) {
                guard(env, "handle_error", [&] {
                    error_decision decision = options_.handle_error(payload, *failure, ctx);
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
                terminal_failure_hooks(run, ctx, *failure, env);
            }
        }
        if (options_.cleanup) guard(env, "cleanup", [&] { options_.cleanup(payload, ctx); });
        return result;
    }

    void run_terminal_hooks(run_state& base, run_context& ctx, const error_info& error,
                            const attempt_env& env) const override {
        terminal_failure_hooks(static_cast<run_type&>(base), ctx, error, env);
    }

private:
    // std::optional<void> is ill-formed: store a placeholder for void tasks.
    using result_storage = std::conditional_t<std::is_void_v<R>, bool, R>;

    template <class F>
    static void guard(const attempt_env& env, std::string_view hook, F&& f) {
        try {
            f();
        } catch (...) {
            if (env.hook_failed) env.hook_failed(hook, describe_exception(std::current_exception()));
        }
    }

    result<R> completed_result(run_type& run) const {
        if constexpr (std::is_void_v<R>) {
            return result<void>(run.id, run_status::completed, std::nullopt);
        } else {
            std::lock_guard lock(run.mutex);
            return result<R>(run.id, run_status::completed, run.output, std::nullopt);
        }
    }

    void terminal_failure_hooks(run_type& run, run_context& ctx, const error_info& error,
                                const attempt_env& env) const {
        const run_status status = error.code == error_code::run_canceled    ? run_status::canceled
                                  : error.code == error_code::run_timed_out ? run_status::timed_out
                                  : error.code == error_code::run_expired   ? run_status::expired
                                                                            : run_status::failed;
        if (options_.on_failure) guard(env, "on_failure", [&] { options_.on_failure(run.payload, error, ctx); });
        if (options_.on_complete) {
            guard(env, "on_complete", [&] {
                if constexpr (std::is_void_v<R>) {
                    options_.on_complete(run.payload, result<void>(run.id, status, error), ctx);
                } else {
                    options_.on_complete(run.payload, result<R>(run.id, status, std::nullopt, error), ctx);
                }
            });
        }
    }

    task_options<P, R> options_;
};

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/task_definition.ipp>
#endif
