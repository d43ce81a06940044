/// @file detail/token_wait.hpp
/// What a run's wait on a waitpoint token answers (run_services::wait_for_token). Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>

namespace taskkit::detail {

/// How a run's wait on a token ended: `data` when the token was completed; otherwise `status`
/// (timed_out, canceled, failed) and `error` (token_timed_out, run_canceled, unknown_token).
struct token_wait {
    std::optional<nlohmann::json> data;
    run_status status = run_status::completed;
    error_info error;
};

}  // namespace taskkit::detail
