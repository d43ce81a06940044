/// @file impl/run_context.ipp
/// The definitions of what <taskkit/run_context.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/run_context.hpp>

namespace taskkit {

TASKKIT_DECL run_context::run_context(run_info run, attempt_info attempt, task_info task, queue_info queue,
                                      taskkit::machine machine_spec, std::stop_token stop, taskkit::logger log,
                                      detail::run_state* state, detail::run_services* services)
    : run_(run),
      attempt_(attempt),
      task_(task),
      queue_(queue),
      machine_(machine_spec),
      stop_(std::move(stop)),
      logger_(std::move(log)),
      state_(state),
      services_(services) {}

TASKKIT_DECL auto run_context::metadata() const -> run_metadata {
    if (!state_) throw state_error("this run_context belongs to no run");
    return run_metadata(state_, services_);
}

TASKKIT_DECL auto run_context::stream(std::string_view name) const -> stream_writer {
    if (!state_) throw state_error("this run_context belongs to no run");
    return stream_writer(*state_, services_, std::string(name));
}

TASKKIT_DECL auto run_context::stored_step(std::string_view key) const -> std::optional<nlohmann::json> {
    if (!state_ || !services_) return std::nullopt;  // run_inline: no backend, every step runs
    return services_->step_result(*state_, key);
}

TASKKIT_DECL auto run_context::store_step(std::string_view key, const nlohmann::json& result) const -> void {
    if (state_ && services_) services_->save_step(*state_, key, result);
}

TASKKIT_DECL auto run_context::wait_until(time_point at) -> bool {
    if (!services_ || !state_) throw state_error("this run_context belongs to no runtime: cannot wait");
    return services_->sleep_until(*state_, at);
}

TASKKIT_DECL auto run_context::locals() const -> taskkit::locals& {
    if (!locals_) throw state_error("ctx.locals(): this run_context belongs to no attempt, and locals belong to one");
    return *locals_;
}

TASKKIT_DECL auto run_context::create_token(const token_options& options) -> waitpoint_token {
    if (!services_ || !state_) throw state_error("this run_context belongs to no runtime: cannot create a token");
    return services_->create_token(*state_, options, ++tokens_created_);
}

TASKKIT_DECL auto run_context::wait_token(std::string_view token_id) -> detail::token_wait {
    if (!services_ || !state_) throw state_error("this run_context belongs to no runtime: cannot wait on a token");
    return services_->wait_for_token(*state_, token_id);
}

TASKKIT_DECL auto run_context::token_data_error(const std::string& token_id, const char* what) -> error_info {
    const std::string message =
        "waitpoint token '" + token_id + "' was completed with data that does not convert to the awaited type: " + what;
    error_info error;
    error.type = "taskkit::payload_error";
    error.message = message;
    error.code = error_code::invalid_payload;
    error.exception = std::make_exception_ptr(payload_error(message));
    return error;
}

TASKKIT_DECL auto run_context::now() const -> time_point {
    return services_ ? services_->now() : std::chrono::system_clock::now();
}

}  // namespace taskkit
