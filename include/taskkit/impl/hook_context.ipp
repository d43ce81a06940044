/// @file impl/hook_context.ipp
/// The definitions of what <taskkit/hook_context.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/task_definition_base.hpp>
#include <taskkit/hook_context.hpp>

namespace taskkit {

TASKKIT_DECL auto hook_context::payload() const -> nlohmann::json { return task_->payload_type.encode(run_); }

TASKKIT_DECL auto hook_context::output() const -> nlohmann::json {
    if (status_ != run_status::completed) return nullptr;
    return task_->output_json(*run_);
}

}  // namespace taskkit
