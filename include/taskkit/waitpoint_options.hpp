/// @file waitpoint_options.hpp
/// taskkit::token_options — how a waitpoint token is created (rt.create_token, ctx.create_token).
#pragma once

#include <taskkit/detail/config.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace taskkit {

/// The options of a waitpoint token: a designated-initializer aggregate, as Trigger.dev's
/// `wait.createToken({ timeout, idempotencyKey, tags })`.
/// @code
/// auto token = rt.create_token({.timeout = 24h, .idempotency_key = "approve-order-17", .tags = {"order_17"}});
/// @endcode
struct token_options {
    /// How long the token may wait for its completion, on the runtime's clock; after it the token
    /// is timed_out and every run waiting on it gets an error_code::token_timed_out result. None:
    /// it waits until completed.
    std::optional<std::chrono::milliseconds> timeout;
    /// Non-empty: a token created with the same key (within its ttl) is returned instead of a new
    /// one. Inside a run, ctx.create_token without a key derives one from the run and the call's
    /// position, so a run executed again finds its tokens.
    std::string idempotency_key;
    std::optional<std::chrono::milliseconds> idempotency_key_ttl;  ///< default 30 days
    std::vector<std::string> tags;                                 ///< at most 10, each 1–128 characters

    static constexpr std::size_t max_tags = 10;
    static constexpr std::size_t max_tag_length = 128;
};

}  // namespace taskkit
