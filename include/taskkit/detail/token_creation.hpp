/// @file detail/token_creation.hpp
/// What rt.create_token and ctx.create_token share: checking token_options, making a token's id,
/// asking the backend. Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <string>
#include <string_view>

#include <taskkit/run_record.hpp>
#include <taskkit/waitpoint_options.hpp>
#include <taskkit/waitpoint_token.hpp>

namespace taskkit {
class backend;
}

namespace taskkit::detail {

/// Throws options_error for a bad timeout, ttl or tag.
TASKKIT_DECL void validate(const token_options& options);

/// A new token id, "waitpoint_" and 24 hex digits: a random per-process prefix and a counter, so
/// that processes sharing a database never make the same id.
TASKKIT_DECL std::string make_token_id();

/// Checks the options and creates the token (or finds the one holding the key) in `runs`, at
/// `now`. `default_key` is used when the options have none (a run's derived key).
TASKKIT_DECL waitpoint_token create_token(backend& runs, time_point now, const token_options& options,
                                          std::string_view default_key = {});

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/token_creation.ipp>
#endif
