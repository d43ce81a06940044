/// @file schema/impl/schema_error.ipp
/// The definitions of what <taskkit/schema/schema_error.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/schema/src.hpp>
/// (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/schema/schema_error.hpp>

namespace taskkit {

TASKKIT_DECL auto validation_error::describe(const std::vector<schema_violation>& violations, std::string_view subject)
    -> std::string {
    std::string text = "the " + std::string(subject) + " does not match its JSON schema (" +
                       std::to_string(violations.size()) + (violations.size() == 1 ? " violation):" : " violations):");
    for (const auto& v : violations) text += "\n  " + v.message;
    return text;
}

}  // namespace taskkit
