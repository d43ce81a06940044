/// @file schema/schema_error.hpp
/// What json_schema reports: a schema_violation per failure, validation_error for a value that
/// fails its schema, schema_error for a schema document that is not valid draft-07.
#pragma once

#include <taskkit/schema/detail/config.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <taskkit/error.hpp>

namespace taskkit {

/// One way in which an instance fails a schema.
struct schema_violation {
    /// JSON Pointer of the failing value in the instance ("" is the instance itself, "/age" a member).
    std::string instance_path;
    /// The keyword that failed, e.g. "maximum", "required", "additionalProperties".
    std::string keyword;
    /// Where that keyword is in the schema: a JSON Pointer into the schema document (e.g.
    /// "/properties/age/maximum"), after following `$ref`s. Locations in the built-in draft-07
    /// meta-schema are prefixed by its URI.
    std::string schema_path;
    /// For a human: the instance path ("(root)" for the instance itself), then what is wrong,
    /// e.g. "/age: 200 is greater than the maximum 150".
    std::string message;
};

/// A schema document is not a valid draft-07 schema, or uses something json_schema does not
/// support (a remote `$ref`, a regular expression RE2 cannot run). Code: invalid_options.
class schema_error : public error {
public:
    /// `pointer` is the JSON Pointer of the bad part of the schema ("" for the whole schema).
    schema_error(std::string pointer, const std::string& problem)
        : error(error_code::invalid_options, "invalid JSON schema at " +
                                                 (pointer.empty() ? std::string("the root") : "\"" + pointer + "\"") +
                                                 ": " + problem),
          pointer_(std::move(pointer)) {}
    /// JSON Pointer of the bad part of the schema document ("" for the root).
    [[nodiscard]] const std::string& pointer() const noexcept { return pointer_; }

private:
    std::string pointer_;
};

/// A value failed its schema. Holds every violation; what() lists them all, one per line.
/// Code: validation_failed.
/// @code
/// try { schema.throw_if_invalid(payload, "payload of task 'send-email'"); }
/// catch (const taskkit::validation_error& e) { log(e.what()); }
/// @endcode
class validation_error : public error {
public:
    /// `subject` names what was validated in the message, e.g. "payload of task 'send-email'".
    explicit validation_error(std::vector<schema_violation> violations, std::string_view subject = "value")
        : error(error_code::validation_failed, describe(violations, subject)), violations_(std::move(violations)) {}
    /// The violations, in the order the validator found them.
    [[nodiscard]] const std::vector<schema_violation>& violations() const noexcept { return violations_; }

private:
    TASKKIT_DECL static std::string describe(const std::vector<schema_violation>& violations, std::string_view subject);

    std::vector<schema_violation> violations_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/schema/impl/schema_error.ipp>
#endif
