/// @file schema/json_schema.hpp
/// taskkit::json_schema — a JSON Schema (draft-07) validator for nlohmann::json payloads.
///
/// An optional integration: it needs RE2 (for `pattern` and `patternProperties`) and is not
/// included by taskkit.hpp. Link the CMake target `taskkit::schema`.
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

#include <taskkit/schema/detail/schema_metaschema.hpp>
#include <taskkit/schema/detail/schema_pattern.hpp>
#include <taskkit/schema/detail/schema_uri.hpp>
#include <taskkit/schema/detail/schema_value.hpp>
#include <taskkit/error.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

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
    static std::string describe(const std::vector<schema_violation>& violations, std::string_view subject) {
        std::string text = "the " + std::string(subject) + " does not match its JSON schema (" +
                           std::to_string(violations.size()) +
                           (violations.size() == 1 ? " violation):" : " violations):");
        for (const auto& v : violations) text += "\n  " + v.message;
        return text;
    }

    std::vector<schema_violation> violations_;
};

/// Limits that keep validation safe on hostile input.
struct schema_options {
    /// Deepest nesting of arrays/objects accepted in an instance (and in the schema document).
    /// A deeper instance gets a single "maxDepth" violation instead of being walked, so the stack
    /// stays bounded whatever the input. Evaluation of nested schemas is bounded to 4x this
    /// plus 64 levels: about 4 MB of stack in a sanitizer build, within a default 8 MB thread stack.
    std::size_t max_depth = 256;
    /// Most units of work one validation may take: each application of a schema to a value, and
    /// each comparison of two items for uniqueItems, is one. Beyond it validation stops with a
    /// single "maxEvaluations" violation, so no schema and value can keep a thread busy for long:
    /// 10 million take one to three seconds in an optimized build on a small machine (75 to 300 ns
    /// a unit, the more where verdicts are memoized). Validation work is linear in
    /// (schemas applied) x (values), since a schema reachable along several paths ($ref, or one
    /// subschema listed twice) is evaluated once per value and its verdict reused; this bound is a
    /// second line of defence.
    std::size_t max_evaluations = 10'000'000;
};

namespace detail {

inline constexpr std::size_t no_node = std::numeric_limits<std::size_t>::max();

/// Bits of the `type` keyword.
enum type_bits : std::uint8_t {
    type_null = 1U << 0U,
    type_boolean = 1U << 1U,
    type_object = 1U << 2U,
    type_array = 1U << 3U,
    type_number = 1U << 4U,
    type_string = 1U << 5U,
    type_integer = 1U << 6U,
};

/// A compiled regular expression with its source text.
struct schema_regex {
    std::string source;
    std::shared_ptr<const re2::RE2> re;
};

struct schema_pattern_property {
    schema_regex regex;
    std::size_t node = no_node;
};

struct schema_dependency {
    std::string property;
    std::vector<std::string> required;  // array form
    std::size_t node = no_node;         // schema form
};

/// One compiled schema: a boolean schema, or the keywords of an object schema.
struct schema_node {
    std::string location;  // schema_path of this schema
    bool shared = false;   // reachable along more than one edge: its verdicts are memoized per value
    bool is_boolean = false;
    bool boolean_value = true;
    std::size_t ref = no_node;  // $ref target before ref chains are collapsed

    std::uint8_t types = 0;
    std::string types_text;
    std::optional<nlohmann::json> enum_values;
    std::optional<nlohmann::json> const_value;

    std::optional<nlohmann::json> multiple_of, maximum, exclusive_maximum, minimum, exclusive_minimum;

    std::optional<std::size_t> max_length, min_length;
    std::optional<schema_regex> pattern;

    bool has_array_keywords = false;
    std::size_t items = no_node;
    bool items_is_list = false;
    std::vector<std::size_t> item_list;
    std::size_t additional_items = no_node;
    std::optional<std::size_t> max_items, min_items;
    bool unique_items = false;
    std::size_t contains = no_node;

    bool has_object_keywords = false;
    std::optional<std::size_t> max_properties, min_properties;
    std::vector<std::string> required;
    bool has_member_keywords = false;  // properties, patternProperties or additionalProperties
    std::unordered_map<std::string, std::size_t> properties;
    std::vector<schema_pattern_property> pattern_properties;
    std::size_t additional_properties = no_node;
    std::vector<schema_dependency> dependencies;
    std::size_t property_names = no_node;

    std::vector<std::size_t> all_of, any_of, one_of;
    std::size_t not_schema = no_node, if_schema = no_node, then_schema = no_node, else_schema = no_node;
};

/// A schema compiled once: every `$ref` resolved to a node index, every regex compiled.
struct compiled_schema {
    std::vector<schema_node> nodes;
    std::size_t root = no_node;
    nlohmann::json document;
    schema_options options;
};

/// Compiles a draft-07 schema document into a compiled_schema.
class schema_compiler {
public:
    schema_compiler(const nlohmann::json& document, schema_options options) : options_(options) {
        documents_.push_back({&document, std::string(), std::string()});
    }

    [[nodiscard]] compiled_schema run() {
        const auto& root = *documents_[0].value;
        std::string deep;
        if (!within_depth(root, options_.max_depth, deep)) {
            throw schema_error(
                deep, "the schema nests deeper than max_depth (" + std::to_string(options_.max_depth) + ") levels");
        }
        if (root.is_object()) check_schema_keyword(root);
        scan_ids(0, root, "", "");
        const std::size_t root_node = compile(0, root, "", base_of(0, "", ""));
        while (!pending_refs_.empty()) {
            const auto [index, target] = pending_refs_.back();
            pending_refs_.pop_back();
            std::vector<std::string> tokens;
            (void)split_pointer(target.pointer, tokens);
            const nlohmann::json* value = find_pointer(*documents_[target.document].value, tokens);
            nodes_[index].ref = compile(target.document, *value, target.pointer,
                                        base_of(target.document, target.pointer, documents_[target.document].base));
        }
        collapse_refs();
        check_same_value_cycles();
        compiled_schema out;
        out.root = resolve(root_node);
        for (auto& node : nodes_) remap(node);
        mark_shared(out.root);
        out.nodes = std::move(nodes_);
        out.options = options_;
        return out;
    }

private:
    struct document_info {
        const nlohmann::json* value;
        std::string base;    // base URI of the document root
        std::string prefix;  // prepended to locations in violations ("" for the user's schema)
    };
    struct location {
        std::size_t document = 0;
        std::string pointer;
    };

    [[noreturn]] static void fail(const std::string& pointer, const std::string& problem) {
        throw schema_error(pointer, problem);
    }

    static void check_schema_keyword(const nlohmann::json& root) {
        const auto it = root.find("$schema");
        if (it == root.end()) return;
        if (!it->is_string()) fail("/$schema", "\"$schema\" must be a string (a meta-schema URI)");
        const auto& uri = it->get_ref<const std::string&>();
        for (const std::string_view other : {"draft-03", "draft-04", "draft/2019-09", "draft/2020-12"}) {
            if (uri.find(other) != std::string::npos) {
                fail("/$schema", "the schema declares \"" + uri +
                                     "\"; taskkit::json_schema implements draft-07 only (draft-06 schemas work too)");
            }
        }
    }

    // Phase 1: where every `$id` lives, so `$ref`s can name them.
    void scan_ids(std::size_t document, const nlohmann::json& value, const std::string& pointer, std::string base) {
        if (!value.is_object()) return;
        const auto id = value.find("$id");
        if (id != value.end() && !value.contains("$ref")) {
            if (!id->is_string()) fail(pointer_child(pointer, "$id"), "\"$id\" must be a string (a URI reference)");
            const std::string resolved = resolve_uri(base, id->get_ref<const std::string&>());
            auto [uri, fragment] = split_fragment(resolved);
            if (fragment.empty()) {
                base = uri;
                ids_.emplace(uri, location{document, pointer});
            } else if (fragment.front() != '/') {
                ids_.emplace(uri + "#" + fragment, location{document, pointer});  // a plain-name anchor
            }
        }
        bases_[{document, pointer}] = base;
        for_each_subschema(value, pointer, [&](const nlohmann::json& child, const std::string& child_pointer) {
            scan_ids(document, child, child_pointer, base);
        });
    }

    template <class Visit>
    static void for_each_subschema(const nlohmann::json& value, const std::string& pointer, Visit&& visit) {
        for (const char* keyword : {"additionalItems", "additionalProperties", "contains", "propertyNames", "not", "if",
                                    "then", "else", "items"}) {
            const auto it = value.find(keyword);
            if (it == value.end()) continue;
            if (it->is_array()) {
                for (std::size_t i = 0; i < it->size(); ++i) {
                    visit((*it)[i], pointer_child(pointer_child(pointer, keyword), i));
                }
            } else {
                visit(*it, pointer_child(pointer, keyword));
            }
        }
        for (const char* keyword : {"allOf", "anyOf", "oneOf"}) {
            const auto it = value.find(keyword);
            if (it == value.end() || !it->is_array()) continue;
            for (std::size_t i = 0; i < it->size(); ++i)
                visit((*it)[i], pointer_child(pointer_child(pointer, keyword), i));
        }
        for (const char* keyword : {"definitions", "properties", "patternProperties", "dependencies"}) {
            const auto it = value.find(keyword);
            if (it == value.end() || !it->is_object()) continue;
            for (auto member = it->begin(); member != it->end(); ++member) {
                visit(member.value(), pointer_child(pointer_child(pointer, keyword), member.key()));
            }
        }
    }

    // The base URI in effect at a location: recorded by scan_ids, else that of the nearest ancestor.
    [[nodiscard]] std::string base_of(std::size_t document, std::string pointer, const std::string& fallback) const {
        while (true) {
            const auto it = bases_.find({document, pointer});
            if (it != bases_.end()) return it->second;
            if (pointer.empty()) return fallback;
            pointer.resize(pointer.rfind('/'));
        }
    }

    [[nodiscard]] std::string where(std::size_t document, const std::string& pointer) const {
        return documents_[document].prefix + pointer;
    }

    // Phase 2: compile the schema at (document, pointer), once.
    std::size_t compile(std::size_t document, const nlohmann::json& value, const std::string& pointer,
                        const std::string& inherited_base) {
        const auto key = std::make_pair(document, pointer);
        if (const auto it = memo_.find(key); it != memo_.end()) return it->second;
        if (!value.is_object() && !value.is_boolean()) {
            fail(where(document, pointer), "a schema must be an object or a boolean, got " + describe_value(value));
        }
        const std::size_t index = nodes_.size();
        memo_.emplace(key, index);
        nodes_.emplace_back();
        schema_node node;
        node.location = where(document, pointer);
        if (value.is_boolean()) {
            node.is_boolean = true;
            node.boolean_value = value.get<bool>();
            nodes_[index] = std::move(node);
            return index;
        }
        std::string base = inherited_base;
        if (const auto it = bases_.find(key); it != bases_.end()) base = it->second;

        if (const auto ref = value.find("$ref"); ref != value.end()) {
            // draft-07: "$ref" replaces its sibling keywords
            if (!ref->is_string())
                fail(where(document, pointer + "/$ref"), "\"$ref\" must be a string (a URI reference)");
            const location target =
                resolve_ref(ref->get_ref<const std::string&>(), base, where(document, pointer + "/$ref"));
            // compiled later, from run(): following $refs here would recurse as deep as a chain of
            // $refs is long, not just as deep as the document
            pending_refs_.push_back({index, target});
            nodes_[index] = std::move(node);
            return index;
        }

        keyword_compiler ctx{*this, document, value, pointer, base, node};
        ctx.compile_keywords();
        nodes_[index] = std::move(node);
        return index;
    }

    // The keywords of one object schema.
    struct keyword_compiler {
        schema_compiler& self;
        std::size_t document;
        const nlohmann::json& value;
        const std::string& pointer;
        const std::string& base;
        schema_node& node;

        [[nodiscard]] std::string at(std::string_view keyword) const {
            return self.where(document, pointer_child(pointer, keyword));
        }
        [[nodiscard]] const nlohmann::json* find(const char* keyword) const {
            const auto it = value.find(keyword);
            return it == value.end() ? nullptr : &*it;
        }
        std::size_t child(const nlohmann::json& schema, const std::string& child_pointer) {
            return self.compile(document, schema, child_pointer, base);
        }
        std::size_t child(const char* keyword) { return child(*find(keyword), pointer_child(pointer, keyword)); }
        std::vector<std::size_t> schema_list(const char* keyword) {
            const auto& list = *find(keyword);
            if (!list.is_array() || list.empty()) {
                fail(at(keyword), "\"" + std::string(keyword) + "\" must be a non-empty array of schemas, got " +
                                      describe_value(list));
            }
            std::vector<std::size_t> out;
            for (std::size_t i = 0; i < list.size(); ++i) {
                out.push_back(child(list[i], pointer_child(pointer_child(pointer, keyword), i)));
            }
            return out;
        }
        std::optional<std::size_t> count(const char* keyword) const {
            const auto* v = find(keyword);
            if (v == nullptr) return std::nullopt;
            if (!v->is_number() || !is_integral_number(*v) || number_value(*v) < 0) {
                fail(at(keyword),
                     "\"" + std::string(keyword) + "\" must be a non-negative integer, got " + describe_value(*v));
            }
            const long double n = number_value(*v);
            if (n >= static_cast<long double>(std::numeric_limits<std::size_t>::max())) {
                return std::numeric_limits<std::size_t>::max();
            }
            return static_cast<std::size_t>(n);
        }
        std::optional<nlohmann::json> number(const char* keyword) const {
            const auto* v = find(keyword);
            if (v == nullptr) return std::nullopt;
            if (!v->is_number()) {
                fail(at(keyword), "\"" + std::string(keyword) + "\" must be a number, got " + describe_value(*v));
            }
            return *v;
        }
        schema_regex regex(const std::string& source, const std::string& regex_pointer) const {
            std::string problem;
            auto re = compile_pattern(source, problem);
            if (!re) {
                fail(regex_pointer, "the regular expression " + dump_short(nlohmann::json(source)) +
                                        " cannot be used: " + problem +
                                        " (patterns run on RE2, in linear time: no lookaround, no backreferences)");
            }
            return {source, std::move(re)};
        }
        void string_list(const nlohmann::json& list, const std::string& list_pointer, const char* what,
                         std::vector<std::string>& out) const {
            if (!list.is_array())
                fail(list_pointer, std::string(what) + " must be an array of strings, got " + describe_value(list));
            for (std::size_t i = 0; i < list.size(); ++i) {
                if (!list[i].is_string()) {
                    fail(list_pointer + "/" + std::to_string(i),
                         std::string(what) + " must contain only strings, got " + describe_value(list[i]));
                }
                out.push_back(list[i].get<std::string>());
            }
        }

        void compile_keywords() {
            // annotations and definitions
            if (const auto* format = find("format"); format != nullptr && !format->is_string()) {
                fail(at("format"), "\"format\" must be a string, got " + describe_value(*format));
            }
            if (const auto* definitions = find("definitions")) {
                if (!definitions->is_object()) {
                    fail(at("definitions"),
                         "\"definitions\" must be an object of schemas, got " + describe_value(*definitions));
                }
                for (auto it = definitions->begin(); it != definitions->end(); ++it) {
                    (void)child(it.value(), pointer_child(pointer_child(pointer, "definitions"), it.key()));
                }
            }
            compile_generic();
            compile_numeric();
            compile_string();
            compile_array();
            compile_object();
            compile_combinators();
        }

        void compile_generic() {
            if (const auto* type = find("type")) {
                auto add = [&](const nlohmann::json& name, const std::string& name_pointer) {
                    static const std::pair<std::string_view, std::uint8_t> names[] = {
                        {"null", type_null},      {"boolean", type_boolean}, {"object", type_object},
                        {"array", type_array},    {"number", type_number},   {"string", type_string},
                        {"integer", type_integer}};
                    if (name.is_string()) {
                        for (const auto& [text, bit] : names) {
                            if (name.get_ref<const std::string&>() == text) {
                                node.types = static_cast<std::uint8_t>(node.types | bit);
                                if (!node.types_text.empty()) node.types_text += ", ";
                                node.types_text += text;
                                return;
                            }
                        }
                    }
                    fail(name_pointer,
                         "a type must be one of \"null\", \"boolean\", \"object\", \"array\", \"number\", "
                         "\"string\", \"integer\", got " +
                             describe_value(name));
                };
                if (type->is_array()) {
                    if (type->empty()) fail(at("type"), "\"type\" must not be an empty array");
                    for (std::size_t i = 0; i < type->size(); ++i)
                        add((*type)[i], at("type") + "/" + std::to_string(i));
                } else if (type->is_string()) {
                    add(*type, at("type"));
                } else {
                    fail(at("type"),
                         "\"type\" must be a type name or an array of type names, got " + describe_value(*type));
                }
            }
            if (const auto* values = find("enum")) {
                if (!values->is_array()) fail(at("enum"), "\"enum\" must be an array, got " + describe_value(*values));
                node.enum_values = *values;
            }
            if (const auto* value_const = find("const")) node.const_value = *value_const;
        }

        void compile_numeric() {
            node.multiple_of = number("multipleOf");
            if (node.multiple_of && compare_numbers(*node.multiple_of, nlohmann::json(0)) <= 0) {
                fail(at("multipleOf"),
                     "\"multipleOf\" must be greater than 0, got " + describe_value(*node.multiple_of));
            }
            node.maximum = number("maximum");
            node.exclusive_maximum = number("exclusiveMaximum");
            node.minimum = number("minimum");
            node.exclusive_minimum = number("exclusiveMinimum");
        }

        void compile_string() {
            node.max_length = count("maxLength");
            node.min_length = count("minLength");
            if (const auto* p = find("pattern")) {
                if (!p->is_string())
                    fail(at("pattern"),
                         "\"pattern\" must be a string (a regular expression), got " + describe_value(*p));
                node.pattern = regex(p->get<std::string>(), at("pattern"));
            }
        }

        void compile_array() {
            if (const auto* items = find("items")) {
                if (items->is_array()) {
                    node.items_is_list = true;
                    for (std::size_t i = 0; i < items->size(); ++i) {
                        node.item_list.push_back(child((*items)[i], pointer_child(pointer_child(pointer, "items"), i)));
                    }
                } else {
                    node.items = child("items");
                }
            }
            // additionalItems only has an effect next to an array-form "items"
            if (find("additionalItems") != nullptr) {
                const std::size_t additional = child("additionalItems");
                if (node.items_is_list) node.additional_items = additional;
            }
            node.max_items = count("maxItems");
            node.min_items = count("minItems");
            if (const auto* unique = find("uniqueItems")) {
                if (!unique->is_boolean())
                    fail(at("uniqueItems"), "\"uniqueItems\" must be a boolean, got " + describe_value(*unique));
                node.unique_items = unique->get<bool>();
            }
            if (find("contains") != nullptr) node.contains = child("contains");
            node.has_array_keywords = node.items != no_node || node.items_is_list || node.max_items || node.min_items ||
                                      node.unique_items || node.contains != no_node;
        }

        void compile_object() {
            node.max_properties = count("maxProperties");
            node.min_properties = count("minProperties");
            if (const auto* required = find("required"))
                string_list(*required, at("required"), "\"required\"", node.required);
            if (const auto* properties = find("properties")) {
                if (!properties->is_object())
                    fail(at("properties"),
                         "\"properties\" must be an object of schemas, got " + describe_value(*properties));
                for (auto it = properties->begin(); it != properties->end(); ++it) {
                    node.properties.emplace(
                        it.key(), child(it.value(), pointer_child(pointer_child(pointer, "properties"), it.key())));
                }
                node.has_member_keywords = true;
            }
            if (const auto* patterns = find("patternProperties")) {
                if (!patterns->is_object())
                    fail(at("patternProperties"),
                         "\"patternProperties\" must be an object of schemas, got " + describe_value(*patterns));
                for (auto it = patterns->begin(); it != patterns->end(); ++it) {
                    const std::string member = pointer_child(pointer_child(pointer, "patternProperties"), it.key());
                    schema_regex re = regex(it.key(), self.where(document, member));
                    node.pattern_properties.push_back({std::move(re), child(it.value(), member)});
                }
                node.has_member_keywords = true;
            }
            if (find("additionalProperties") != nullptr) {
                node.additional_properties = child("additionalProperties");
                node.has_member_keywords = true;
            }
            if (const auto* dependencies = find("dependencies")) {
                if (!dependencies->is_object())
                    fail(at("dependencies"),
                         "\"dependencies\" must be an object, got " + describe_value(*dependencies));
                for (auto it = dependencies->begin(); it != dependencies->end(); ++it) {
                    const std::string member = pointer_child(pointer_child(pointer, "dependencies"), it.key());
                    schema_dependency dependency;
                    dependency.property = it.key();
                    if (it.value().is_array()) {
                        string_list(it.value(), self.where(document, member), "a property dependency",
                                    dependency.required);
                    } else if (it.value().is_object() || it.value().is_boolean()) {
                        dependency.node = child(it.value(), member);
                    } else {
                        fail(self.where(document, member),
                             "a dependency must be an array of property names or a schema, got " +
                                 describe_value(it.value()));
                    }
                    node.dependencies.push_back(std::move(dependency));
                }
            }
            if (find("propertyNames") != nullptr) node.property_names = child("propertyNames");
            node.has_object_keywords = node.max_properties || node.min_properties || !node.required.empty() ||
                                       node.has_member_keywords || !node.dependencies.empty() ||
                                       node.property_names != no_node;
        }

        void compile_combinators() {
            if (find("allOf") != nullptr) node.all_of = schema_list("allOf");
            if (find("anyOf") != nullptr) node.any_of = schema_list("anyOf");
            if (find("oneOf") != nullptr) node.one_of = schema_list("oneOf");
            if (find("not") != nullptr) node.not_schema = child("not");
            if (find("if") != nullptr) {
                node.if_schema = child("if");
                if (find("then") != nullptr) node.then_schema = child("then");
                if (find("else") != nullptr) node.else_schema = child("else");
            } else {
                // without "if", "then" and "else" are ignored, but must still be schemas
                if (find("then") != nullptr) (void)child("then");
                if (find("else") != nullptr) (void)child("else");
            }
        }
    };

    // A `$ref` to (document, pointer), or a schema_error naming `at`.
    location resolve_ref(const std::string& ref, const std::string& base, const std::string& at) {
        const std::string absolute = resolve_uri(base, ref);
        auto [uri, fragment] = split_fragment(absolute);
        location resource;
        if (uri.empty() || uri == documents_[0].base) {
            resource = {0, ""};
        } else if (const auto it = ids_.find(uri); it != ids_.end()) {
            resource = it->second;
        } else if (uri == draft07_metaschema_id || uri == "https://json-schema.org/draft-07/schema") {
            resource = {load_metaschema(), ""};
        } else {
            fail(at, "cannot resolve the $ref \"" + ref + "\": \"" + uri +
                         "\" is not this schema or a $id inside it (remote references are not supported)");
        }
        std::string decoded;
        if (!percent_decode(fragment, decoded)) fail(at, "the $ref \"" + ref + "\" has a malformed %-escape");
        location target = resource;
        if (!decoded.empty() && decoded.front() != '/') {
            const auto it = ids_.find(uri + "#" + decoded);
            if (it == ids_.end())
                fail(at, "cannot resolve the $ref \"" + ref + "\": no $id \"#" + decoded + "\" in this schema");
            target = it->second;
        } else if (!decoded.empty()) {
            std::vector<std::string> tokens;
            if (!split_pointer(decoded, tokens)) fail(at, "the $ref \"" + ref + "\" has a malformed JSON Pointer");
            for (const auto& token : tokens) append_pointer_token(target.pointer, token);
        }
        std::vector<std::string> tokens;
        (void)split_pointer(target.pointer, tokens);
        const nlohmann::json* value = find_pointer(*documents_[target.document].value, tokens);
        if (value == nullptr) {
            fail(at, "cannot resolve the $ref \"" + ref + "\": nothing at \"" + where(target.document, target.pointer) +
                         "\"");
        }
        if (!value->is_object() && !value->is_boolean()) {
            fail(at, "the $ref \"" + ref + "\" points to " + describe_value(*value) + ", which is not a schema");
        }
        return target;
    }

    std::size_t load_metaschema() {
        if (metaschema_document_ != 0) return metaschema_document_;
        metaschema_ = std::make_unique<nlohmann::json>(nlohmann::json::parse(draft07_metaschema_text));
        metaschema_document_ = documents_.size();
        documents_.push_back(
            {metaschema_.get(), std::string(draft07_metaschema_id), std::string(draft07_metaschema_id) + "#"});
        scan_ids(metaschema_document_, *metaschema_, "", std::string(draft07_metaschema_id));
        return metaschema_document_;
    }

    // The node a node stands for once its chain of `$ref`s is followed.
    [[nodiscard]] std::size_t resolve(std::size_t index) const { return index == no_node ? index : final_[index]; }

    // Follows every chain of `$ref`s once (linear time); a chain that loops is a schema error.
    void collapse_refs() {
        final_.assign(nodes_.size(), no_node);
        std::vector<std::uint8_t> on_path(nodes_.size(), 0);
        std::vector<std::size_t> path;
        for (std::size_t start = 0; start < nodes_.size(); ++start) {
            path.clear();
            std::size_t at = start;
            while (final_[at] == no_node && nodes_[at].ref != no_node) {
                if (on_path[at] != 0) {
                    std::string chain;
                    const auto loop = std::find(path.begin(), path.end(), at);
                    for (auto it = loop; it != path.end() && chain.size() < 300; ++it)
                        chain += nodes_[*it].location + " -> ";
                    chain += nodes_[at].location;
                    fail(nodes_[at].location, "the $ref chain " + chain + " loops and never reaches a schema");
                }
                on_path[at] = 1;
                path.push_back(at);
                at = nodes_[at].ref;
            }
            const std::size_t target = final_[at] != no_node ? final_[at] : at;
            final_[at] = target;
            for (const auto i : path) {
                final_[i] = target;
                on_path[i] = 0;
            }
        }
    }

    void remap(schema_node& node) const {
        auto fix = [&](std::size_t& index) { index = resolve(index); };
        fix(node.items);
        for (auto& i : node.item_list) fix(i);
        fix(node.additional_items);
        fix(node.contains);
        for (auto& [name, index] : node.properties) fix(index);
        for (auto& p : node.pattern_properties) fix(p.node);
        fix(node.additional_properties);
        for (auto& d : node.dependencies) fix(d.node);
        fix(node.property_names);
        for (auto* list : {&node.all_of, &node.any_of, &node.one_of}) {
            for (auto& i : *list) fix(i);
        }
        fix(node.not_schema);
        fix(node.if_schema);
        fix(node.then_schema);
        fix(node.else_schema);
    }

    // A node more than one edge leads to (after $refs are followed) can be applied to the same value
    // along several paths: nested two-way anyOfs over $refs would evaluate it 2^depth times. Such
    // nodes are memoized by the validator; the others are applied at most a few times per value
    // without it (see schema_validator::validate).
    void mark_shared(std::size_t root) {
        std::vector<std::uint32_t> edges_in(nodes_.size(), 0);
        auto add = [&](std::size_t index) {
            if (index != no_node && edges_in[index] < 2) ++edges_in[index];
        };
        add(root);
        for (const auto& node : nodes_) {
            add(node.items);
            for (const auto i : node.item_list) add(i);
            add(node.additional_items);
            add(node.contains);
            for (const auto& [name, index] : node.properties) add(index);
            for (const auto& p : node.pattern_properties) add(p.node);
            add(node.additional_properties);
            for (const auto& d : node.dependencies) add(d.node);
            add(node.property_names);
            for (const auto* list : {&node.all_of, &node.any_of, &node.one_of}) {
                for (const auto i : *list) add(i);
            }
            for (const auto i : {node.not_schema, node.if_schema, node.then_schema, node.else_schema}) add(i);
        }
        for (std::size_t i = 0; i < nodes_.size(); ++i) nodes_[i].shared = edges_in[i] > 1 && !nodes_[i].is_boolean;
    }

    // Schemas applied to the very same value (allOf, anyOf, oneOf, not, if/then/else, schema
    // dependencies). A cycle among them means validation would recurse forever: reject it.
    void check_same_value_cycles() const {
        auto edges = [&](std::size_t index) {
            const auto& node = nodes_[index];
            std::vector<std::size_t> out;
            for (const auto* list : {&node.all_of, &node.any_of, &node.one_of}) {
                for (const auto i : *list) out.push_back(resolve(i));
            }
            for (const auto i : {node.not_schema, node.if_schema, node.then_schema, node.else_schema}) {
                if (i != no_node) out.push_back(resolve(i));
            }
            for (const auto& d : node.dependencies) {
                if (d.node != no_node) out.push_back(resolve(d.node));
            }
            return out;
        };
        enum class mark : std::uint8_t { unseen, active, done };
        std::vector<mark> marks(nodes_.size(), mark::unseen);
        struct frame {
            std::size_t node;
            std::vector<std::size_t> next;
            std::size_t at;
        };
        for (std::size_t start = 0; start < nodes_.size(); ++start) {
            if (marks[start] != mark::unseen || nodes_[start].ref != no_node) continue;
            std::vector<frame> stack;
            stack.push_back({start, edges(start), 0});
            marks[start] = mark::active;
            while (!stack.empty()) {
                auto& top = stack.back();
                if (top.at == top.next.size()) {
                    marks[top.node] = mark::done;
                    stack.pop_back();
                    continue;
                }
                const std::size_t next = top.next[top.at++];
                if (marks[next] == mark::active) {
                    fail(nodes_[next].location,
                         "this schema applies itself to the same value again (through $ref and allOf/anyOf/oneOf/"
                         "not/if/then/else/dependencies, via " +
                             nodes_[top.node].location + "): validation would never end");
                }
                if (marks[next] == mark::unseen) {
                    marks[next] = mark::active;
                    stack.push_back({next, edges(next), 0});
                }
            }
        }
    }

    schema_options options_;
    std::vector<document_info> documents_;
    std::unique_ptr<nlohmann::json> metaschema_;
    std::size_t metaschema_document_ = 0;
    std::vector<schema_node> nodes_;
    std::map<std::pair<std::size_t, std::string>, std::size_t> memo_;
    std::map<std::pair<std::size_t, std::string>, std::string> bases_;
    std::map<std::string, location> ids_;
    std::vector<std::size_t> final_;                              // node -> the node its $ref chain ends at
    std::vector<std::pair<std::size_t, location>> pending_refs_;  // $ref nodes whose target is not compiled yet
};

/// Walks an instance against compiled nodes. With `out` set it collects every violation;
/// without, it answers valid/invalid and stops at the first failure.
///
/// Work is linear in (nodes) x (instance values): a `shared` node (see schema_compiler::mark_shared)
/// is evaluated at most once per value in each mode, keyed by the value's address (the instance is
/// const and outlives the validator, so an address names one location), and later applications
/// reuse its verdict; in reporting mode its violations, already listed once with their JSON
/// Pointers, are not listed again. draft-07 has no annotation-dependent keywords
/// (unevaluatedProperties and unevaluatedItems are 2019-09), so a verdict depends only on the node
/// and the value. A verdict cut short by a limit (depth, work) is never memoized.
class schema_validator {
public:
    /// Shared by a validator and those it nests (propertyNames), so the limit is per validation.
    struct work_budget {
        std::size_t used = 0;
        std::size_t limit = 0;
        bool exhausted = false;

        /// Takes one unit; false (and exhausted) once the limit is passed.
        bool take() noexcept {
            if (++used > limit) exhausted = true;
            return !exhausted;
        }
    };

    schema_validator(const compiled_schema& schema, std::vector<schema_violation>* out, work_budget* budget = nullptr)
        : schema_(schema),
          out_(out),
          budget_(budget != nullptr ? budget : &own_budget_),
          max_evaluation_depth_(schema.options.max_depth * 4 + 64) {
        own_budget_.limit = schema.options.max_evaluations;
    }

    bool validate(std::size_t index, const nlohmann::json& instance) {
        if (!budget_->take()) {
            ++cut_short_;
            return false;
        }
        if (++depth_ > max_evaluation_depth_) {
            --depth_;
            ++cut_short_;
            if (out_ != nullptr && !depth_reported_) {
                depth_reported_ = true;
                report("maxDepth", schema_.nodes[index].location,
                       "schemas nest deeper than " + std::to_string(max_evaluation_depth_) +
                           " levels here (a deeply recursive schema); validation stopped");
            }
            return false;
        }
        const auto& node = schema_.nodes[index];
        if (!node.shared) {
            const bool valid = validate_node(node, instance);
            --depth_;
            return valid;
        }
        const memo_key key{index, &instance};
        const auto [entry, fresh] = memo_.try_emplace(key);
        // A reference survives the insertions below (an iterator would not survive a rehash).
        verdict& known = entry->second;
        // A valid verdict has no violations to report either; an invalid one evaluated with `out_`
        // set has its violations in the list already.
        if (!fresh && (out_ == nullptr || known.valid || known.reported)) {
            --depth_;
            return known.valid;
        }
        const std::size_t cut_before = cut_short_;
        const bool valid = validate_node(node, instance);
        --depth_;
        if (cut_short_ == cut_before) {
            known.valid = valid;
            known.reported = known.reported || out_ != nullptr;
        } else if (fresh) {
            memo_.erase(key);  // cut short by a limit: not a verdict
        }
        return valid;
    }

    /// Whether validation stopped at schema_options::max_evaluations (its verdict is then false).
    [[nodiscard]] bool exhausted() const noexcept { return budget_->exhausted; }

private:
    // Evaluates a subschema for its verdict only (anyOf, oneOf, not, if, contains).
    bool check(std::size_t index, const nlohmann::json& instance) {
        auto* saved = out_;
        out_ = nullptr;
        const bool valid = validate(index, instance);
        out_ = saved;
        return valid;
    }

    void report(std::string_view keyword, const std::string& schema_path, const std::string& text) {
        out_->push_back(
            {path_, std::string(keyword), schema_path, (path_.empty() ? std::string("(root)") : path_) + ": " + text});
    }

    [[nodiscard]] static std::string keyword_path(const schema_node& node, std::string_view keyword) {
        return pointer_child(node.location, keyword);
    }

    // Applies `child` to a member or item; `false_text` says why when `child` is the false schema.
    template <class Token, class FalseText>
    bool apply(std::size_t child, const nlohmann::json& value, const Token& token, std::string_view keyword,
               FalseText&& false_text) {
        const auto& node = schema_.nodes[child];
        if (out_ == nullptr) return validate(child, value);
        const auto size = path_.size();
        if constexpr (std::is_convertible_v<Token, std::string_view>) {
            append_pointer_token(path_, token);
        } else {
            path_ += '/';
            path_ += std::to_string(token);
        }
        bool valid = true;
        if (node.is_boolean && !node.boolean_value) {
            report(keyword, node.location, false_text());
            valid = false;
        } else {
            valid = validate(child, value);
        }
        path_.resize(size);
        return valid;
    }

    bool validate_node(const schema_node& node, const nlohmann::json& instance) {
        if (node.is_boolean) {
            if (node.boolean_value) return true;
            if (out_ != nullptr) report("false", node.location, "no value is allowed here (the schema is false)");
            return false;
        }
        bool valid = true;
        // Records a failure; false means "stop now" (verdict-only mode).
        auto fail = [&](std::string_view keyword, const std::string& text) {
            valid = false;
            if (out_ == nullptr) return false;
            report(keyword, keyword_path(node, keyword), text);
            return true;
        };
        auto sub = [&](bool ok) {
            if (!ok) valid = false;
            return ok || out_ != nullptr;
        };

        if (node.types != 0 && !type_matches(node.types, instance)) {
            if (!fail("type", describe_value(instance) + " is " + article(schema_type_name(instance)) + ", expected " +
                                  (node.types_text.find(',') == std::string::npos ? node.types_text
                                                                                  : "one of " + node.types_text))) {
                return false;
            }
        }
        if (node.enum_values) {
            const bool found = std::any_of(node.enum_values->begin(), node.enum_values->end(),
                                           [&](const nlohmann::json& v) { return json_equal(v, instance); });
            if (!found && !fail("enum", describe_value(instance) + " is not one of " + dump_short(*node.enum_values)))
                return false;
        }
        if (node.const_value && !json_equal(*node.const_value, instance)) {
            if (!fail("const", describe_value(instance) + " is not the constant " + dump_short(*node.const_value)))
                return false;
        }
        if (instance.is_number()) {
            if (!validate_number(node, instance, fail)) return false;
        } else if (instance.is_string()) {
            if (!validate_string(node, instance, fail)) return false;
        } else if (instance.is_array()) {
            if (node.has_array_keywords && !validate_array(node, instance, fail, sub)) return false;
        } else if (instance.is_object()) {
            if (node.has_object_keywords && !validate_object(node, instance, fail, sub)) return false;
        }

        for (const auto i : node.all_of) {
            if (!sub(validate(i, instance))) return false;
        }
        if (!node.any_of.empty()) {
            const bool any =
                std::any_of(node.any_of.begin(), node.any_of.end(), [&](std::size_t i) { return check(i, instance); });
            if (!any && !fail("anyOf", describe_value(instance) + " matches none of the " +
                                           std::to_string(node.any_of.size()) + " schemas in anyOf")) {
                return false;
            }
        }
        if (!node.one_of.empty()) {
            std::vector<std::size_t> matches;
            for (std::size_t i = 0; i < node.one_of.size() && matches.size() < 2; ++i) {
                if (check(node.one_of[i], instance)) matches.push_back(i);
            }
            if (matches.empty()) {
                if (!fail("oneOf", describe_value(instance) + " matches none of the " +
                                       std::to_string(node.one_of.size()) + " schemas in oneOf")) {
                    return false;
                }
            } else if (matches.size() > 1) {
                if (!fail("oneOf", describe_value(instance) + " matches more than one schema in oneOf (at least #" +
                                       std::to_string(matches[0]) + " and #" + std::to_string(matches[1]) +
                                       "), but must match exactly one")) {
                    return false;
                }
            }
        }
        if (node.not_schema != no_node && check(node.not_schema, instance)) {
            if (!fail("not", describe_value(instance) + " matches the schema in \"not\"")) return false;
        }
        if (node.if_schema != no_node) {
            const std::size_t branch = check(node.if_schema, instance) ? node.then_schema : node.else_schema;
            if (branch != no_node && !sub(validate(branch, instance))) return false;
        }
        return valid;
    }

    static std::string article(std::string_view type) {
        return (type == "array" || type == "object" || type == "integer" ? "an " : "a ") + std::string(type);
    }

    static bool type_matches(std::uint8_t types, const nlohmann::json& instance) {
        switch (instance.type()) {
            case nlohmann::json::value_t::null:
                return (types & type_null) != 0;
            case nlohmann::json::value_t::boolean:
                return (types & type_boolean) != 0;
            case nlohmann::json::value_t::object:
                return (types & type_object) != 0;
            case nlohmann::json::value_t::array:
                return (types & type_array) != 0;
            case nlohmann::json::value_t::string:
                return (types & type_string) != 0;
            case nlohmann::json::value_t::number_integer:
            case nlohmann::json::value_t::number_unsigned:
            case nlohmann::json::value_t::number_float:
                return (types & type_number) != 0 || ((types & type_integer) != 0 && is_integral_number(instance));
            default:
                return false;
        }
    }

    template <class Fail>
    static bool validate_number(const schema_node& node, const nlohmann::json& instance, Fail& fail) {
        // Described only for a message: most numbers pass, and a description allocates.
        auto shown = [&] { return describe_value(instance); };
        if (node.multiple_of && !is_multiple_of(instance, *node.multiple_of)) {
            if (!fail("multipleOf", shown() + " is not a multiple of " + safe_dump(*node.multiple_of))) return false;
        }
        if (node.maximum && compare_numbers(instance, *node.maximum) > 0) {
            if (!fail("maximum", shown() + " is greater than the maximum " + safe_dump(*node.maximum))) return false;
        }
        if (node.exclusive_maximum && compare_numbers(instance, *node.exclusive_maximum) >= 0) {
            if (!fail("exclusiveMaximum",
                      shown() + " is not less than the exclusive maximum " + safe_dump(*node.exclusive_maximum)))
                return false;
        }
        if (node.minimum && compare_numbers(instance, *node.minimum) < 0) {
            if (!fail("minimum", shown() + " is less than the minimum " + safe_dump(*node.minimum))) return false;
        }
        if (node.exclusive_minimum && compare_numbers(instance, *node.exclusive_minimum) <= 0) {
            if (!fail("exclusiveMinimum",
                      shown() + " is not greater than the exclusive minimum " + safe_dump(*node.exclusive_minimum)))
                return false;
        }
        return true;
    }

    template <class Fail>
    static bool validate_string(const schema_node& node, const nlohmann::json& instance, Fail& fail) {
        const auto& text = instance.get_ref<const std::string&>();
        if (node.max_length || node.min_length) {
            const std::size_t length = utf8_length(text);
            if (node.max_length && length > *node.max_length) {
                if (!fail("maxLength", describe_value(instance) + " is longer than the maxLength " +
                                           std::to_string(*node.max_length) + " (" + std::to_string(length) +
                                           " characters)")) {
                    return false;
                }
            }
            if (node.min_length && length < *node.min_length) {
                if (!fail("minLength", describe_value(instance) + " is shorter than the minLength " +
                                           std::to_string(*node.min_length) + " (" + std::to_string(length) +
                                           " characters)")) {
                    return false;
                }
            }
        }
        if (node.pattern && !pattern_search(*node.pattern->re, text)) {
            if (!fail("pattern", describe_value(instance) + " does not match the pattern " +
                                     dump_short(nlohmann::json(node.pattern->source)))) {
                return false;
            }
        }
        return true;
    }

    template <class Fail, class Sub>
    bool validate_array(const schema_node& node, const nlohmann::json& instance, Fail& fail, Sub& sub) {
        const std::size_t size = instance.size();
        if (node.max_items && size > *node.max_items) {
            if (!fail("maxItems", "has " + std::to_string(size) + " items, more than the maxItems " +
                                      std::to_string(*node.max_items)))
                return false;
        }
        if (node.min_items && size < *node.min_items) {
            if (!fail("minItems", "has " + std::to_string(size) + " items, fewer than the minItems " +
                                      std::to_string(*node.min_items)))
                return false;
        }
        if (node.items_is_list) {
            for (std::size_t i = 0; i < size; ++i) {
                const bool listed = i < node.item_list.size();
                if (!listed && node.additional_items == no_node) break;
                const std::size_t child = listed ? node.item_list[i] : node.additional_items;
                const bool ok = apply(child, instance[i], i, listed ? "items" : "additionalItems", [&] {
                    return listed ? "item " + std::to_string(i) + " is not allowed (its schema in items is false)"
                                  : "item " + std::to_string(i) + " is not allowed: items lists " +
                                        std::to_string(node.item_list.size()) + " and additionalItems is false";
                });
                if (!sub(ok)) return false;
            }
        } else if (node.items != no_node) {
            for (std::size_t i = 0; i < size; ++i) {
                const bool ok = apply(node.items, instance[i], i, "items",
                                      [&] { return "item " + std::to_string(i) + " is not allowed (items is false)"; });
                if (!sub(ok)) return false;
            }
        }
        if (node.unique_items && size > 1) {
            std::vector<std::pair<std::size_t, std::size_t>> hashes;  // (hash, index)
            hashes.reserve(size);
            for (std::size_t i = 0; i < size; ++i) hashes.emplace_back(json_hash(instance[i]), i);
            std::sort(hashes.begin(), hashes.end());
            // The duplicate with the smallest second index: within a run of equal hashes (in index
            // order) the first item equal to an earlier one; each comparison is a unit of work, so
            // many items with one hash but different values stop at max_evaluations.
            std::optional<std::pair<std::size_t, std::size_t>> duplicate;
            for (std::size_t run = 0; run < hashes.size();) {
                std::size_t end = run + 1;
                while (end < hashes.size() && hashes[end].first == hashes[run].first) ++end;
                bool found = false;
                for (std::size_t b = run + 1; b < end && !found; ++b) {
                    if (duplicate && hashes[b].second > duplicate->second) break;
                    for (std::size_t a = run; a < b; ++a) {
                        if (!budget_->take()) {
                            ++cut_short_;
                            return false;
                        }
                        if (json_equal(instance[hashes[a].second], instance[hashes[b].second])) {
                            duplicate = std::make_pair(hashes[a].second, hashes[b].second);
                            found = true;
                            break;
                        }
                    }
                }
                run = end;
            }
            if (duplicate &&
                !fail("uniqueItems", "items " + std::to_string(duplicate->first) + " and " +
                                         std::to_string(duplicate->second) + " are equal, but uniqueItems is true")) {
                return false;
            }
        }
        if (node.contains != no_node) {
            bool found = false;
            for (std::size_t i = 0; i < size && !found; ++i) found = check(node.contains, instance[i]);
            if (!found &&
                !fail("contains", size == 0
                                      ? std::string("the array is empty, but contains requires a matching item")
                                      : "none of the " + std::to_string(size) + " items matches the contains schema")) {
                return false;
            }
        }
        return true;
    }

    template <class Fail, class Sub>
    bool validate_object(const schema_node& node, const nlohmann::json& instance, Fail& fail, Sub& sub) {
        const std::size_t size = instance.size();
        if (node.max_properties && size > *node.max_properties) {
            if (!fail("maxProperties", "has " + std::to_string(size) + " properties, more than the maxProperties " +
                                           std::to_string(*node.max_properties))) {
                return false;
            }
        }
        if (node.min_properties && size < *node.min_properties) {
            if (!fail("minProperties", "has " + std::to_string(size) + " properties, fewer than the minProperties " +
                                           std::to_string(*node.min_properties))) {
                return false;
            }
        }
        for (const auto& name : node.required) {
            if (!instance.contains(name) &&
                !fail("required", "the required property " + dump_short(nlohmann::json(name)) + " is missing")) {
                return false;
            }
        }
        if (node.has_member_keywords) {
            for (auto it = instance.begin(); it != instance.end(); ++it) {
                const std::string& key = it.key();
                bool matched = false;
                if (const auto p = node.properties.find(key); p != node.properties.end()) {
                    matched = true;
                    if (!sub(apply(p->second, it.value(), key, "properties", [&] {
                            return "the property " + dump_short(nlohmann::json(key)) +
                                   " is not allowed (its schema in properties is false)";
                        }))) {
                        return false;
                    }
                }
                for (const auto& pp : node.pattern_properties) {
                    if (!pattern_search(*pp.regex.re, key)) continue;
                    matched = true;
                    if (!sub(apply(pp.node, it.value(), key, "patternProperties", [&] {
                            return "the property " + dump_short(nlohmann::json(key)) +
                                   " is not allowed (patternProperties " + dump_short(nlohmann::json(pp.regex.source)) +
                                   " is false)";
                        }))) {
                        return false;
                    }
                }
                if (!matched && node.additional_properties != no_node) {
                    if (!sub(apply(node.additional_properties, it.value(), key, "additionalProperties", [&] {
                            return "the property " + dump_short(nlohmann::json(key)) +
                                   " is not allowed (additionalProperties is false)";
                        }))) {
                        return false;
                    }
                }
            }
        }
        for (const auto& dependency : node.dependencies) {
            if (!instance.contains(dependency.property)) continue;
            for (const auto& name : dependency.required) {
                if (!instance.contains(name) &&
                    !fail("dependencies", "the property " + dump_short(nlohmann::json(name)) + " is required when " +
                                              dump_short(nlohmann::json(dependency.property)) + " is present")) {
                    return false;
                }
            }
            if (dependency.node != no_node && !sub(validate(dependency.node, instance))) return false;
        }
        if (node.property_names != no_node) {
            for (auto it = instance.begin(); it != instance.end(); ++it) {
                // `name` is a temporary: it gets validators of its own, whose memos die with it.
                const nlohmann::json name(it.key());
                schema_validator names(schema_, nullptr, budget_);
                names.depth_ = depth_;
                const bool ok = names.validate(node.property_names, name);
                cut_short_ += names.cut_short_;
                if (ok) continue;
                if (out_ == nullptr) return false;
                // say why, from the first violation of the name against propertyNames
                std::vector<schema_violation> inner;
                schema_validator nested(schema_, &inner, budget_);
                nested.depth_ = depth_;
                (void)nested.validate(node.property_names, name);
                cut_short_ += nested.cut_short_;
                std::string why =
                    inner.empty() ? std::string("it does not match the propertyNames schema") : inner.front().message;
                if (why.rfind("(root): ", 0) == 0) why.erase(0, 8);
                (void)fail("propertyNames", "the property name " + dump_short(name) + " is invalid: " + why);
            }
        }
        return true;
    }

    struct memo_key {
        std::size_t node;
        const nlohmann::json* value;
        bool operator==(const memo_key&) const = default;
    };
    struct memo_hash {
        std::size_t operator()(const memo_key& k) const noexcept {
            return std::hash<const void*>{}(k.value) ^ (k.node * 0x9e3779b97f4a7c15ULL);
        }
    };

    const compiled_schema& schema_;
    std::vector<schema_violation>* out_;
    work_budget own_budget_;
    work_budget* budget_;
    std::string path_;
    std::size_t depth_ = 0;
    std::size_t max_evaluation_depth_;
    bool depth_reported_ = false;
    struct verdict {
        bool valid = false;
        bool reported = false;  // its violations are in the list (evaluated with `out_` set)
    };
    std::size_t cut_short_ = 0;                              // evaluations stopped by a limit
    std::unordered_map<memo_key, verdict, memo_hash> memo_;  // a shared node at a value
};

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
    explicit json_schema(const nlohmann::json& document, schema_options options = {})
        : compiled_(compile(document, options)) {}

    /// Every violation of the schema by `instance`; empty when it is valid.
    /// @code
    /// for (const auto& v : schema.validate(payload)) std::cerr << v.message << '\n';
    /// @endcode
    [[nodiscard]] std::vector<schema_violation> validate(const nlohmann::json& instance) const {
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

    /// Whether `instance` is valid; stops at the first violation.
    [[nodiscard]] bool is_valid(const nlohmann::json& instance) const {
        std::string deep;
        if (!detail::within_depth(instance, compiled_->options.max_depth, deep)) return false;
        detail::schema_validator validator(*compiled_, nullptr);
        return validator.validate(compiled_->root, instance);
    }

    /// Throws validation_error listing every violation when `instance` is not valid.
    /// `subject` names the value in the message, e.g. "payload of task 'send-email'".
    void throw_if_invalid(const nlohmann::json& instance, std::string_view subject = "value") const {
        auto violations = validate(instance);
        if (!violations.empty()) throw validation_error(std::move(violations), subject);
    }

    /// The schema document this was compiled from.
    [[nodiscard]] const nlohmann::json& document() const noexcept { return compiled_->document; }

private:
    static std::shared_ptr<const detail::compiled_schema> compile(const nlohmann::json& document,
                                                                  schema_options options) {
        auto compiled = std::make_shared<detail::compiled_schema>(detail::schema_compiler(document, options).run());
        compiled->document = document;  // depth already checked by the compiler
        return compiled;
    }

    std::shared_ptr<const detail::compiled_schema> compiled_;
};

}  // namespace taskkit
