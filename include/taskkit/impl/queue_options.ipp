/// @file impl/queue_options.ipp
/// The definitions of what <taskkit/queue_options.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/queue_options.hpp>

namespace taskkit {

TASKKIT_DECL auto queue_options::validate(const std::string& owner) const -> void {
    if (concurrency_limit < 0) throw options_error(owner + ": queue.concurrency_limit must not be negative");
    if (total_concurrency_limit < 0)
        throw options_error(owner + ": queue.total_concurrency_limit must not be negative");
    for (const auto* r : {&rate_limit, &key_rate_limit}) {
        if (*r && ((*r)->limit < 1 || (*r)->period.count() <= 0))
            throw options_error(owner + ": a queue rate limit needs limit >= 1 and a period > 0");
    }
}

}  // namespace taskkit
