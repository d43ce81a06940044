/// @file run_context.hpp
/// What a run's code knows about itself: ids, attempt, queue, machine, cancellation, logger.
#pragma once

#include <taskkit/detail/config.hpp>

#include <chrono>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include <taskkit/detail/run_services.hpp>
#include <taskkit/detail/time_math.hpp>
#include <taskkit/error.hpp>
#include <taskkit/locals.hpp>
#include <taskkit/logger.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/result.hpp>
#include <taskkit/run_metadata.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/stream_writer.hpp>
#include <taskkit/waitpoint_options.hpp>
#include <taskkit/waitpoint_token.hpp>

namespace taskkit {

namespace detail {
struct context_access;
}

/// The run an attempt belongs to.
struct run_info {
    std::string_view id;
    std::string_view parent_id;  ///< empty for a root run
    std::span<const std::string> tags;
    time_point created_at;
};

/// The attempt being executed.
struct attempt_info {
    int number = 1;  ///< 1 for the first attempt
    time_point started_at;
};

/// The task being run.
struct task_info {
    std::string_view id;
    std::string_view description;
};

/// The queue the run was taken from.
struct queue_info {
    std::string_view name;
    int concurrency_limit = 0;         ///< per key when the run has a concurrency key; 0 = unbounded
    std::string_view concurrency_key;  ///< empty when none
};

/// Passed to a task's run function and hooks: `ctx.run().id`, `ctx.attempt().number`,
/// `ctx.task().id`, `ctx.queue()`, `ctx.machine()`, `ctx.stop_token()` and `ctx.logger()`.
/// Valid only during the call it is passed to.
class run_context {
public:
    run_context(run_info run, attempt_info attempt, task_info task, queue_info queue, taskkit::machine machine_spec,
                std::stop_token stop, taskkit::logger log, detail::run_state* state = nullptr,
                detail::run_services* services = nullptr);

    [[nodiscard]] const run_info& run() const noexcept { return run_; }
    [[nodiscard]] const attempt_info& attempt() const noexcept { return attempt_; }
    [[nodiscard]] const task_info& task() const noexcept { return task_; }
    [[nodiscard]] const queue_info& queue() const noexcept { return queue_; }
    [[nodiscard]] const taskkit::machine& machine() const noexcept { return machine_; }

    /// Requested when the run is canceled or exceeds max_duration. Long work should poll it
    /// (or pass it on) and return early: cancellation is cooperative.
    [[nodiscard]] std::stop_token stop_token() const noexcept { return stop_; }
    /// Shorthand for `stop_token().stop_requested()`.
    [[nodiscard]] bool stop_requested() const noexcept { return stop_.stop_requested(); }

    /// The run's logger: lines are kept on the run record and passed to the runtime's sink.
    [[nodiscard]] const taskkit::logger& logger() const noexcept { return logger_; }

    /// The run's metadata: set, append, increment, decrement, remove; visible on the record at once.
    /// `metadata().parent()` and `metadata().root()` reach the parent's and the root run's.
    [[nodiscard]] run_metadata metadata() const;

    /// The run's stream `name` (created on its first chunk): `ctx.stream("tokens").append(json)`.
    /// Throws options_error for a name that is not 1 to 64 of letters, digits, '-', '_', '.', ':'.
    [[nodiscard]] stream_writer stream(std::string_view name) const;

    /// Waits `duration` on the runtime's clock (virtual in tests), giving up the run's queue
    /// slot and machine meanwhile. Returns false early when the run is canceled or times out.
    template <class Rep, class Period>
    bool wait_for(std::chrono::duration<Rep, Period> duration) {
        return wait_until(detail::saturating_add(now(), duration));
    }

    /// Waits until `at` on the runtime's clock; like wait_for.
    bool wait_until(time_point at);

    /// The runtime's current time (virtual in tests).
    [[nodiscard]] time_point now() const;

    /// Creates a waitpoint token on the run's runtime (see runtime::create_token). Without an
    /// idempotency key, the token's key is derived from the run's id and this call's position
    /// among the attempt's create_token calls, so an attempt executed again (a retry, a restart
    /// of the process on a durable backend) gets the same token back — completed, maybe.
    [[nodiscard]] waitpoint_token create_token(const token_options& options = {});

    /// Waits until the token is completed, and returns the data it was completed with as a `T`
    /// (JSON by default). The run gives up its queue slot and machine meanwhile. The result is an
    /// error instead when the token's timeout passes first (run_status::timed_out,
    /// error_code::token_timed_out), the run is canceled (run_status::canceled), the token is
    /// unknown (error_code::unknown_token) or its data does not convert to `T`
    /// (error_code::invalid_payload). The result's run_id() is the token's id.
    /// @code
    /// auto decision = ctx.wait_for_token<approval>(token);
    /// if (!decision.ok()) return "not approved: " + decision.error().message;
    /// @endcode
    template <class T = nlohmann::json>
    taskkit::result<T> wait_for_token(std::string_view token_id) {
        static_assert(!std::is_void_v<T>, "wait_for_token<T>: T is the type of the token's data");
        auto waited = wait_token(token_id);
        std::string id(token_id);
        if (!waited.data)
            return taskkit::result<T>(std::move(id), waited.status, std::nullopt, std::move(waited.error));
        if constexpr (std::is_same_v<T, nlohmann::json>) {
            return taskkit::result<T>(std::move(id), run_status::completed, std::move(*waited.data), std::nullopt);
        } else {
            try {
                return taskkit::result<T>(std::move(id), run_status::completed, waited.data->template get<T>(),
                                          std::nullopt);
            } catch (const nlohmann::json::exception& e) {
                auto error = token_data_error(id, e.what());
                return taskkit::result<T>(std::move(id), run_status::failed, std::nullopt, std::move(error));
            }
        }
    }
    /// Waits on `token` (see above).
    template <class T = nlohmann::json>
    taskkit::result<T> wait_for_token(const waitpoint_token& token) {
        return wait_for_token<T>(std::string_view(token.id));
    }

    /// A memoized step: runs `fn` and stores its result under `key`, the first time; a later
    /// attempt of the same run (after a failure, a crash or a rescue) returns the stored result
    /// without running `fn` again. The result must convert to and from JSON (void is fine). A
    /// throwing `fn` stores nothing. Keys are per run: give each step its own.
    /// @code
    /// auto receipt = ctx.step("charge-card", [&] { return payments.charge(order.card, order.total); });
    /// @endcode
    template <class F>
    auto step(std::string_view key, F&& fn) -> std::invoke_result_t<F&> {
        using result = std::invoke_result_t<F&>;
        if (key.empty()) throw options_error("ctx.step: the key must not be empty");
        if (auto stored = stored_step(key)) {
            if constexpr (std::is_void_v<result>) {
                return;
            } else {
                try {
                    return stored->template get<result>();
                } catch (const nlohmann::json::exception& e) {
                    throw payload_error("ctx.step '" + std::string(key) +
                                        "': the stored result does not convert to the step's type: " + e.what());
                }
            }
        }
        if constexpr (std::is_void_v<result>) {
            fn();
            store_step(key, nullptr);
        } else {
            result value = fn();
            store_step(key, nlohmann::json(value));
            return value;
        }
    }

    /// The attempt's locals: typed values that middleware, hooks and the run function share
    /// (`ctx.locals().set(db, ...)`, `ctx.locals().get(db)`; see taskkit::local). Made empty for
    /// each attempt, destroyed after its cleanup. Throws state_error for a context outside an
    /// attempt.
    [[nodiscard]] taskkit::locals& locals() const;

private:
    friend struct detail::context_access;
    [[nodiscard]] std::optional<nlohmann::json> stored_step(std::string_view key) const;
    void store_step(std::string_view key, const nlohmann::json& result) const;
    [[nodiscard]] detail::token_wait wait_token(std::string_view token_id);
    [[nodiscard]] static error_info token_data_error(const std::string& token_id, const char* what);

    run_info run_;
    attempt_info attempt_;
    task_info task_;
    queue_info queue_;
    taskkit::machine machine_;
    std::stop_token stop_;
    taskkit::logger logger_;
    detail::run_state* state_;
    detail::run_services* services_;
    int tokens_created_ = 0;  ///< this attempt's create_token calls (their position, for derived keys)
    taskkit::locals* locals_ = nullptr;
};

namespace detail {
/// What an attempt sets on its context (detail/attempt.hpp).
struct context_access {
    static void set_locals(run_context& ctx, taskkit::locals* store) noexcept { ctx.locals_ = store; }
    [[nodiscard]] static bool has_locals(const run_context& ctx) noexcept { return ctx.locals_ != nullptr; }
};
}  // namespace detail

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/run_context.ipp>
#endif
