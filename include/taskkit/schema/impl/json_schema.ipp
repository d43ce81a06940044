/// @file schema/impl/json_schema.ipp
/// The definitions of what <taskkit/schema/json_schema.hpp> declares, with the compiler and the
/// validator they use: included by that header (header-only, the default), or compiled once through
/// <taskkit/schema/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/schema/json_schema.hpp>

#include <string>
#include <utility>

#include <taskkit/schema/detail/compiled_schema.hpp>
#include <taskkit/schema/detail/schema_compiler.hpp>
#include <taskkit/schema/detail/schema_validator.hpp>
#include <taskkit/schema/detail/schema_value.hpp>

namespace taskkit {

TASKKIT_DECL json_schema::json_schema(const nlohmann::json& document, schema_options options)
    : compiled_(compile(document, options)) {}

TASKKIT_DECL auto json_schema::validate(const nlohmann::json& instance) const -> std::vector<schema_violation> {
    std::vector<schema_violation> out;
    std::string deep;
    if (!detail::within_depth(instance, compiled_->options.max_depth, deep)) {
        out.push_back({deep, "maxDepth", "",
                       deep + ": the value nests deeper than the limit of " +
                           std::to_string(compiled_->options.max_depth) + " arrays/objects"});
        return out;
    }
    detail::schema_validator validator(*compiled_, &out);
    (void)validator.validate(compiled_->root, instance);
    if (validator.exhausted()) {
        out.push_back({"", "maxEvaluations", "",
                       "(root): validation stopped after " + std::to_string(compiled_->options.max_evaluations) +
                           " units of work (schema_options::max_evaluations); the value is refused"});
    }
    return out;
}

TASKKIT_DECL auto json_schema::is_valid(const nlohmann::json& instance) const -> bool {
    std::string deep;
    if (!detail::within_depth(instance, compiled_->options.max_depth, deep)) return false;
    detail::schema_validator validator(*compiled_, nullptr);
    return validator.validate(compiled_->root, instance);
}

TASKKIT_DECL auto json_schema::throw_if_invalid(const nlohmann::json& instance, std::string_view subject) const
    -> void {
    auto violations = validate(instance);
    if (!violations.empty()) throw validation_error(std::move(violations), subject);
}

TASKKIT_DECL auto json_schema::document() const noexcept -> const nlohmann::json& { return compiled_->document; }

TASKKIT_DECL auto json_schema::compile(const nlohmann::json& document, schema_options options)
    -> std::shared_ptr<const detail::compiled_schema> {
    auto compiled = std::make_shared<detail::compiled_schema>(detail::schema_compiler(document, options).run());
    compiled->document = document;  // depth already checked by the compiler
    return compiled;
}

}  // namespace taskkit
