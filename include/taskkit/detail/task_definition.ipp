/// @file detail/task_definition.ipp
/// The definitions of the functions <taskkit/detail/task_definition.hpp> declares: included by that header
/// (header-only, the default) or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/task_definition.hpp>

namespace taskkit::detail {

TASKKIT_DECL bool never_retried(const error_info& e) {
    return e.code && (*e.code == error_code::aborted || *e.code == error_code::invalid_payload ||
                      *e.code == error_code::validation_failed || *e.code == error_code::run_canceled ||
                      *e.code == error_code::run_timed_out);
}

}  // namespace taskkit::detail
