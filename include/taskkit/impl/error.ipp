/// @file impl/error.ipp
/// The definitions of what <taskkit/error.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/error.hpp>

namespace taskkit {

TASKKIT_DECL error::error(error_code code, const std::string& message) : std::runtime_error(message), code_(code) {}

TASKKIT_DECL unknown_task_error::unknown_task_error(std::string_view id)
    : error(error_code::unknown_task,
            "unknown task id '" + std::string(id) + "': define a taskkit::task with this id before triggering it") {}

TASKKIT_DECL duplicate_task_error::duplicate_task_error(std::string_view id)
    : error(error_code::duplicate_task,
            "a task with id '" + std::string(id) + "' is already registered: task ids must be unique") {}

TASKKIT_DECL payload_error::payload_error(const std::string& message) : error(error_code::invalid_payload, message) {}

TASKKIT_DECL options_error::options_error(const std::string& message) : error(error_code::invalid_options, message) {}

TASKKIT_DECL unknown_queue_error::unknown_queue_error(std::string_view name)
    : error(error_code::unknown_queue, "no queue named '" + std::string(name) + "' is declared or used") {}

TASKKIT_DECL unknown_token_error::unknown_token_error(std::string_view id)
    : error(error_code::unknown_token, "no waitpoint token with id '" + std::string(id) +
                                           "' exists: create it before completing or waiting on it") {}

TASKKIT_DECL token_timed_out_error::token_timed_out_error(std::string_view id)
    : error(error_code::token_timed_out, "waitpoint token '" + std::string(id) +
                                             "' timed out before it was completed: it can no longer be completed") {}

TASKKIT_DECL state_error::state_error(const std::string& message) : error(error_code::invalid_state, message) {}

TASKKIT_DECL machine_error::machine_error(const std::string& message) : error(error_code::machine_too_large, message) {}

TASKKIT_DECL runtime_stopped_error::runtime_stopped_error(const std::string& message)
    : error(error_code::runtime_stopped, message) {}

TASKKIT_DECL run_failed_error::run_failed_error(const std::string& message) : error(error_code::run_failed, message) {}

TASKKIT_DECL canceled_error::canceled_error(const std::string& message) : error(error_code::run_canceled, message) {}

TASKKIT_DECL timed_out_error::timed_out_error(const std::string& message) : error(error_code::run_timed_out, message) {}

TASKKIT_DECL expired_error::expired_error(const std::string& message) : error(error_code::run_expired, message) {}

TASKKIT_DECL abort_run::abort_run(const std::string& message) : error(error_code::aborted, message) {}

}  // namespace taskkit
