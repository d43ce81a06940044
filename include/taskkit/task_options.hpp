/// @file task_options.hpp
/// Everything a task definition says: id, retry, queue, machine, max_duration, run and hooks.
#pragma once

#include <chrono>
#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include <taskkit/machine.hpp>
#include <taskkit/queue_options.hpp>
#include <taskkit/result.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/run_context.hpp>
#include <taskkit/run_record.hpp>

namespace taskkit {

/// A type that converts to and from nlohmann::json (through to_json/from_json, for example
/// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE) and can be copied: what payloads and results must be.
template <class T>
concept json_serializable = std::copy_constructible<T> && std::is_object_v<T> &&
    (std::same_as<T, nlohmann::json> || (nlohmann::detail::has_to_json<nlohmann::json, T>::value &&
                                         (nlohmann::detail::has_from_json<nlohmann::json, T>::value ||
                                          nlohmann::detail::has_non_default_from_json<nlohmann::json, T>::value)));

/// What a task's run function may return: nothing, or a JSON-serialisable value.
template <class R>
concept task_result = std::is_void_v<R> || json_serializable<R>;

/// A task's run function. Accepts a callable taking `(const Payload&, run_context&)` or just
/// `(const Payload&)`, returning the task's Result.
template <class P, class R>
class run_function {
public:
    using signature = R(const P&, run_context&);

    run_function() = default;

    template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, run_function>)
        run_function(F f) {  // NOLINT(google-explicit-constructor): designated initializers need this
        if constexpr (std::is_invocable_v<F&, const P&, run_context&>) {
            check_result<std::invoke_result_t<F&, const P&, run_context&>>();
            fn_ = std::move(f);
        } else if constexpr (std::is_invocable_v<F&, const P&>) {
            check_result<std::invoke_result_t<F&, const P&>>();
            fn_ = [g = std::move(f)](const P& payload, run_context&) mutable -> R { return g(payload); };
        } else {
            static_assert(std::is_invocable_v<F&, const P&, run_context&>,
                          "taskkit: .run must be callable as Result(const Payload&, taskkit::run_context&) "
                          "or Result(const Payload&)");
        }
    }

    [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(fn_); }
    R operator()(const P& payload, run_context& ctx) const { return fn_(payload, ctx); }

private:
    template <class Returned>
    static constexpr void check_result() {
        static_assert(std::is_void_v<R> || std::is_convertible_v<Returned, R>,
                      "taskkit: .run returns a type that does not convert to the task's Result type");
    }
    std::function<signature> fn_;
};

/// Returned by `.handle_error` to change what happens after a failed attempt. The default
/// (all fields empty) keeps the retry options' plan.
struct error_decision {
    bool skip_retrying = false;                            ///< fail now, whatever attempts are left
    std::optional<std::chrono::milliseconds> retry_delay;  ///< retry after this delay instead
    std::optional<time_point> retry_at;                    ///< retry at this time instead
    std::optional<std::string> error;                      ///< replace the error's message
};

namespace detail {
template <class P, class R>
struct success_hook {
    using type = std::function<void(const P&, const R&, run_context&)>;
};
template <class P>
struct success_hook<P, void> {
    using type = std::function<void(const P&, run_context&)>;
};
}  // namespace detail

/// The definition of a task. Fields are in the order of Trigger.dev's task options, so
/// designated initializers read like the original:
/// @code
/// taskkit::task<order, receipt> charge({
///     .id = "charge",
///     .retry = {.max_attempts = 5},
///     .queue = {.concurrency_limit = 10},
///     .run = [](const order& o, taskkit::run_context& ctx) { return bill(o); },
///     .on_failure = [](const order& o, const taskkit::error_info& e, taskkit::run_context&) { alert(o, e); },
/// });
/// @endcode
/// Attempt order: middleware → init → on_start (first attempt only) → run; then on success:
/// on_success → on_complete → cleanup; on error: handle_error decides, and only when the run
/// will not retry on_failure → on_complete; cleanup after every attempt. on_failure and
/// on_complete also run when a run is canceled or times out.
template <class P, class R = void>
struct task_options {
    std::string id;                                         ///< unique in the registry
    std::string description;                                ///< shown by tools
    retry_options retry;                                    ///< retry policy
    queue_options queue;                                    ///< queue and concurrency limit
    taskkit::machine machine = machines::small_1x;          ///< budget held while executing
    std::optional<std::chrono::milliseconds> max_duration;  ///< wall-clock limit per attempt
    run_function<P, R> run;                                 ///< the work
    std::function<void(const P&, run_context&)> init;       ///< before every attempt
    std::function<void(const P&, run_context&)> cleanup;    ///< after every attempt
    /// Wraps each attempt; must call `next()` exactly once to run init, on_start and run.
    std::function<void(const P&, run_context&, const std::function<void()>& next)> middleware;
    std::function<void(const P&, run_context&)> on_start;                       ///< before the first attempt's run
    typename detail::success_hook<P, R>::type on_success;                       ///< (payload, [output,] ctx)
    std::function<void(const P&, const error_info&, run_context&)> on_failure;  ///< failed, canceled, timed out
    std::function<void(const P&, const result<R>&, run_context&)> on_complete;  ///< any terminal outcome
    std::function<error_decision(const P&, const error_info&, run_context&)> handle_error;  ///< after a failed attempt
};

}  // namespace taskkit
