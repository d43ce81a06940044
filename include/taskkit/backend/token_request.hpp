/// @file backend/token_request.hpp
/// A waitpoint token as the runtime asks its backend to create it (backend::create_token).
#pragma once

#include <taskkit/detail/config.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <taskkit/run_record.hpp>
#include <taskkit/waitpoint_record.hpp>

namespace taskkit {

/// A new token, its options resolved by the runtime (times on its clock, the id made).
struct token_request {
    std::string_view id;                ///< the new token's id, unless the key is held
    std::string_view idempotency_key;   ///< empty: none
    time_point idempotency_expires_at;  ///< when the key stops answering with this token
    std::span<const std::string> tags;
    time_point created_at;
    std::optional<time_point> timeout_at;  ///< none: no timeout
};

/// What backend::create_token answers.
struct created_token {
    token_record token;     ///< the token created, or the earlier one holding the key
    bool existing = false;  ///< an earlier token holds the key: nothing was created
};

}  // namespace taskkit
