/// @file impl/queue.ipp
/// The definitions of what <taskkit/queue.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/queue.hpp>

namespace taskkit {

TASKKIT_DECL queue::queue(queue_options options, taskkit::registry& reg)
    : options_(std::move(options)), registry_(&reg) {
    registry_->declare_queue(options_);
}

TASKKIT_DECL queue::~queue() { registry_->undeclare_queue(options_.name); }

}  // namespace taskkit
