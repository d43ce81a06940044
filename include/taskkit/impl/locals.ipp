/// @file impl/locals.ipp
/// The definitions of what <taskkit/locals.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/locals.hpp>

namespace taskkit {

TASKKIT_DECL void locals::clear() noexcept {
    if (size_.load(std::memory_order_acquire) == 0) return;  // nothing was set: no lock to take
    for (;;) {
        std::unique_ptr<holder_base> last;
        {
            std::lock_guard lock(mutex_);
            if (entries_.empty()) return;
            last = std::move(entries_.back().value);
            entries_.pop_back();
            size_.store(entries_.size(), std::memory_order_release);
        }
        // Destroyed outside the lock: a value's destructor may read the other locals.
    }
}

TASKKIT_DECL std::string locals::unset_message(std::string_view name, const char* type) {
    std::string what = name.empty() ? std::string("a local of type ") + type : "local '" + std::string(name) + "'";
    return "ctx.locals().get: " + what +
           " holds no value in this attempt; set it first (in a middleware, init or on_start_attempt hook), or use "
           "find() to test for it";
}

}  // namespace taskkit
