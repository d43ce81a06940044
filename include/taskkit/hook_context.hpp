/// @file hook_context.hpp
/// The type-erased view of a run that global hooks receive: its context, and its payload and
/// output as JSON on demand.
#pragma once

#include <taskkit/detail/config.hpp>

#include <string_view>

#include <nlohmann/json.hpp>

#include <taskkit/fwd.hpp>
#include <taskkit/run_context.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>
#include <taskkit/wait_info.hpp>

namespace taskkit {

namespace detail {
struct task_definition_base;
struct run_state;
}  // namespace detail

/// What a global hook (registry::hooks()) is told about the run it is called for. A global hook
/// knows no payload type: it reads the run through `ctx()` (ids, attempt, logger, metadata,
/// locals) and asks for the payload or the output as JSON, converted only when asked. Valid only
/// during the call it is passed to.
/// @code
/// auto h = reg.hooks().on_failure([](const taskkit::hook_context& hc) {
///     alert(hc.task_id(), hc.payload().dump(), hc.error()->message);
/// });
/// @endcode
class hook_context {
public:
    /// Made by the runtime for each call.
    hook_context(const detail::task_definition_base& task, detail::run_state& run, run_context& ctx, run_status status,
                 const error_info* error, const wait_info* wait) noexcept
        : task_(&task), run_(&run), ctx_(&ctx), status_(status), error_(error), wait_(wait) {}

    /// The run's context, as the task's own hooks receive it.
    [[nodiscard]] run_context& ctx() const noexcept { return *ctx_; }
    /// The id of the task the run belongs to.
    [[nodiscard]] std::string_view task_id() const noexcept { return ctx_->task().id; }
    /// The run's payload, as JSON (converted on each call).
    [[nodiscard]] TASKKIT_DECL nlohmann::json payload() const;
    /// The run's output as JSON: for on_success and a completed run's on_complete, and cleanup
    /// after a completed attempt; null otherwise, and for a task without a result.
    [[nodiscard]] TASKKIT_DECL nlohmann::json output() const;
    /// executing for the hooks before and during the run; for on_success, on_failure,
    /// on_complete and cleanup, what the attempt led to (completed, retrying, failed, canceled,
    /// timed_out).
    [[nodiscard]] run_status status() const noexcept { return status_; }
    /// The error, for on_failure, and on_complete and cleanup after a failed attempt; else null.
    [[nodiscard]] const error_info* error() const noexcept { return error_; }
    /// What the run waits on, for on_wait and on_resume; else null.
    [[nodiscard]] const wait_info* wait() const noexcept { return wait_; }

private:
    const detail::task_definition_base* task_;
    detail::run_state* run_;
    run_context* ctx_;
    run_status status_;
    const error_info* error_;
    const wait_info* wait_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/hook_context.ipp>
#endif
