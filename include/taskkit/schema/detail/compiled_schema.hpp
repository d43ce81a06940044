/// @file schema/detail/compiled_schema.hpp
/// The compiled form of a JSON Schema: its nodes, every `$ref` resolved to a node index, every
/// regex compiled. Internal to taskkit::json_schema (reached only from its definitions).
#pragma once

#include <re2/re2.h>

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

#include <taskkit/schema/schema_options.hpp>

namespace taskkit::detail {

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

}  // namespace taskkit::detail
