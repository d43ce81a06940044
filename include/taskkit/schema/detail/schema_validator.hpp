/// @file schema/detail/schema_validator.hpp
/// detail::schema_validator: walks an instance against a compiled_schema. Internal to
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
#include <taskkit/schema/detail/schema_pattern.hpp>
#include <taskkit/schema/detail/schema_value.hpp>
#include <taskkit/schema/schema_error.hpp>

namespace taskkit::detail {

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

}  // namespace taskkit::detail
