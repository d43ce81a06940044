/// @file waitpoint_token.hpp
/// taskkit::waitpoint_token — what create_token returns: the token's id, which a run waits on
/// (ctx.wait_for_token) and anyone completes (rt.complete_token).
#pragma once

#include <taskkit/detail/config.hpp>

#include <optional>
#include <string>

#include <taskkit/run_record.hpp>

namespace taskkit {

/// A waitpoint token, as rt.create_token and ctx.create_token return it. Copy its id wherever the
/// completion will come from (an email's link, a chat message, a ticket); the token itself lives
/// in the runtime's backend, so a process that only knows the id completes it.
/// @code
/// auto token = ctx.create_token({.timeout = 24h});
/// notify_reviewer(token.id);
/// auto decision = ctx.wait_for_token<approval>(token);
/// @endcode
struct waitpoint_token {
    std::string id;                        ///< "waitpoint_…"
    std::optional<time_point> timeout_at;  ///< when it times out, if it has a timeout
    /// An earlier token held the idempotency key: this is that token (which may be completed or
    /// timed out already).
    bool existing = false;
};

}  // namespace taskkit
