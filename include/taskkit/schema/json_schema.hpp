/// @file schema/json_schema.hpp
/// taskkit::json_schema — a JSON Schema (draft-07) validator for nlohmann::json payloads.
///
/// An optional integration: it needs RE2 (for `pattern` and `patternProperties`) and is not
/// included by taskkit.hpp. Link the CMake target `taskkit::schema` (or `taskkit::schema_compiled`
/// in separate compilation).
/// @code
/// const taskkit::json_schema schema(nlohmann::json::parse(R"({
///     "type": "object",
///     "required": ["email"],
///     "properties": {"email": {"type": "string"}, "age": {"type": "integer", "maximum": 150}}
/// })"));
/// for (const auto& v : schema.validate(payload)) std::cerr << v.message << '\n';
/// // "/age: 200 is greater than the maximum 150"
/// @endcode
#pragma once

#include <taskkit/schema/detail/config.hpp>

#include <memory>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/schema/schema_error.hpp>
#include <taskkit/schema/schema_options.hpp>

namespace taskkit {

namespace detail {
struct compiled_schema;
}  // namespace detail

/// A compiled JSON Schema (draft-07). Compile once, validate many times; copies are cheap and
/// share the compiled form, and validate() may run concurrently from many threads.
///
/// Supported: type, enum, const, multipleOf, maximum, exclusiveMaximum, minimum, exclusiveMinimum,
/// maxLength, minLength, pattern, format (an annotation, never checked), items, additionalItems,
/// maxItems, minItems, uniqueItems, contains, maxProperties, minProperties, required, properties,
/// patternProperties, additionalProperties, dependencies, propertyNames, allOf, anyOf, oneOf, not,
/// if/then/else, definitions, $ref within the document (JSON Pointers and `$id`s) and to the
/// draft-07 meta-schema, boolean schemas. See docs/schema.md.
class json_schema {
public:
    /// The schema `true`: every instance is valid.
    json_schema() : json_schema(nlohmann::json(true)) {}

    /// Compiles `document`. Throws schema_error, naming the JSON Pointer of the bad part, when it is
    /// not a valid draft-07 schema, has a `$ref` that cannot be resolved (or loops), or a pattern
    /// RE2 cannot compile.
    TASKKIT_DECL explicit json_schema(const nlohmann::json& document, schema_options options = {});

    /// Every violation of the schema by `instance`; empty when it is valid.
    /// @code
    /// for (const auto& v : schema.validate(payload)) std::cerr << v.message << '\n';
    /// @endcode
    [[nodiscard]] TASKKIT_DECL std::vector<schema_violation> validate(const nlohmann::json& instance) const;

    /// Whether `instance` is valid; stops at the first violation.
    [[nodiscard]] TASKKIT_DECL bool is_valid(const nlohmann::json& instance) const;

    /// Throws validation_error listing every violation when `instance` is not valid.
    /// `subject` names the value in the message, e.g. "payload of task 'send-email'".
    TASKKIT_DECL void throw_if_invalid(const nlohmann::json& instance, std::string_view subject = "value") const;

    /// The schema document this was compiled from.
    [[nodiscard]] TASKKIT_DECL const nlohmann::json& document() const noexcept;

private:
    TASKKIT_DECL static std::shared_ptr<const detail::compiled_schema> compile(const nlohmann::json& document,
                                                                               schema_options options);

    std::shared_ptr<const detail::compiled_schema> compiled_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/schema/impl/json_schema.ipp>
#endif
