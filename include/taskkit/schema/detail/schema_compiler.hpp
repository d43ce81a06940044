/// @file schema/detail/schema_compiler.hpp
/// detail::schema_compiler: compiles a draft-07 schema document into a compiled_schema. Internal to
/// taskkit::json_schema, and included only by its definitions (schema/impl/json_schema.ipp), so
/// that under separate compilation it is compiled once, in <taskkit/schema/src.hpp>.
#pragma once

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

#include <taskkit/schema/detail/compiled_schema.hpp>
#include <taskkit/schema/detail/schema_metaschema.hpp>
#include <taskkit/schema/detail/schema_pattern.hpp>
#include <taskkit/schema/detail/schema_uri.hpp>
#include <taskkit/schema/detail/schema_value.hpp>
#include <taskkit/schema/schema_error.hpp>
#include <taskkit/schema/schema_options.hpp>

namespace taskkit::detail {

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

}  // namespace taskkit::detail
