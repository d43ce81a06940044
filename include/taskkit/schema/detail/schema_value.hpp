/// @file schema/detail/schema_value.hpp
/// JSON value helpers for taskkit::json_schema: JSON Schema equality and hashing, exact number
/// comparison, Unicode length, JSON Pointer tokens, a stack-free depth check, and short
/// descriptions of values for messages. Internal: users must not rely on anything here.
#pragma once

#include <nlohmann/json.hpp>

#include <taskkit/detail/json_depth.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskkit::detail {

/// Whether a JSON number is mathematically an integer (draft-07: 1.0 is an integer).
[[nodiscard]] inline bool is_integral_number(const nlohmann::json& value) noexcept {
    if (value.is_number_integer()) return true;  // signed and unsigned
    if (!value.is_number_float()) return false;
    const double d = value.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
}

/// A JSON number as a long double: exact for every int64, uint64 and double where long double
/// has a 64-bit mantissa (x86-64, AArch64); close enough elsewhere.
[[nodiscard]] inline long double number_value(const nlohmann::json& value) noexcept {
    if (value.is_number_unsigned()) return static_cast<long double>(value.get<std::uint64_t>());
    if (value.is_number_integer()) return static_cast<long double>(value.get<std::int64_t>());
    return static_cast<long double>(value.get<double>());
}

/// Compares two JSON numbers by value: negative, zero or positive.
[[nodiscard]] inline int compare_numbers(const nlohmann::json& a, const nlohmann::json& b) noexcept {
    if (a.is_number_integer() && b.is_number_integer()) {
        const bool a_unsigned = a.is_number_unsigned();
        const bool b_unsigned = b.is_number_unsigned();
        if (!a_unsigned && !b_unsigned) {
            const auto x = a.get<std::int64_t>();
            const auto y = b.get<std::int64_t>();
            return x < y ? -1 : (x > y ? 1 : 0);
        }
        if (!a_unsigned && a.get<std::int64_t>() < 0) return -1;
        if (!b_unsigned && b.get<std::int64_t>() < 0) return 1;
        const auto x = a_unsigned ? a.get<std::uint64_t>() : static_cast<std::uint64_t>(a.get<std::int64_t>());
        const auto y = b_unsigned ? b.get<std::uint64_t>() : static_cast<std::uint64_t>(b.get<std::int64_t>());
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    const long double x = number_value(a);
    const long double y = number_value(b);
    return x < y ? -1 : (x > y ? 1 : 0);
}

/// Whether `value` is a multiple of `divisor` (divisor > 0). Integers are checked exactly;
/// otherwise the quotient must be an integer up to a few ulps, and an overflowing quotient fails.
[[nodiscard]] inline bool is_multiple_of(const nlohmann::json& value, const nlohmann::json& divisor) noexcept {
    if (is_integral_number(value) && is_integral_number(divisor)) {
        const long double v = number_value(value);
        const long double d = number_value(divisor);
        constexpr long double limit = 9007199254740992.0L * 1024.0L;  // 2^63: exact range of int64
        if (std::fabs(v) < limit && d < limit) {
            const auto vi = static_cast<std::int64_t>(v);
            const auto di = static_cast<std::int64_t>(d);
            if (di > 0) return vi % di == 0;
        }
    }
    const double v = static_cast<double>(number_value(value));
    const double d = static_cast<double>(number_value(divisor));
    const double q = v / d;
    if (!std::isfinite(q)) return false;
    const double tolerance = 4.0 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::fabs(q));
    return std::fabs(q - std::round(q)) <= tolerance;
}

/// JSON Schema equality: numbers compare by value (1 == 1.0), objects ignore key order.
/// Recursion is bounded by the shallower of the two values.
[[nodiscard]] inline bool json_equal(const nlohmann::json& a, const nlohmann::json& b) {
    if (a.is_number() && b.is_number()) return compare_numbers(a, b) == 0;
    if (a.type() != b.type()) return false;
    switch (a.type()) {
        case nlohmann::json::value_t::array: {
            if (a.size() != b.size()) return false;
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (!json_equal(a[i], b[i])) return false;
            }
            return true;
        }
        case nlohmann::json::value_t::object: {
            if (a.size() != b.size()) return false;
            for (auto it = a.begin(); it != a.end(); ++it) {
                const auto other = b.find(it.key());
                if (other == b.end() || !json_equal(it.value(), *other)) return false;
            }
            return true;
        }
        default:
            return a == b;
    }
}

/// A hash consistent with json_equal (1 and 1.0 hash alike).
[[nodiscard]] inline std::size_t json_hash(const nlohmann::json& value) {
    auto combine = [](std::size_t seed, std::size_t h) {
        return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
    };
    const auto type_seed = static_cast<std::size_t>(value.is_number() ? 99 : static_cast<int>(value.type()));
    switch (value.type()) {
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned:
        case nlohmann::json::value_t::number_float: {
            const long double v = number_value(value);
            if (is_integral_number(value) && std::fabs(v) < 9007199254740992.0L * 1024.0L) {
                return combine(type_seed, std::hash<std::int64_t>{}(static_cast<std::int64_t>(v)));
            }
            if (is_integral_number(value) && v > 0 && v < 18446744073709551616.0L) {
                return combine(type_seed, std::hash<std::uint64_t>{}(static_cast<std::uint64_t>(v)));
            }
            return combine(type_seed, std::hash<long double>{}(v));
        }
        case nlohmann::json::value_t::string:
            return combine(type_seed, std::hash<std::string>{}(value.get_ref<const std::string&>()));
        case nlohmann::json::value_t::boolean:
            return combine(type_seed, value.get<bool>() ? 1U : 2U);
        case nlohmann::json::value_t::array: {
            std::size_t seed = combine(type_seed, value.size());
            for (const auto& item : value) seed = combine(seed, json_hash(item));
            return seed;
        }
        case nlohmann::json::value_t::object: {
            std::size_t seed = combine(type_seed, value.size());
            for (auto it = value.begin(); it != value.end(); ++it) {  // keys are sorted: order is stable
                seed = combine(seed, std::hash<std::string>{}(it.key()));
                seed = combine(seed, json_hash(it.value()));
            }
            return seed;
        }
        default:
            return type_seed;
    }
}

/// Number of Unicode code points in UTF-8 text (bytes that do not continue a sequence).
[[nodiscard]] inline std::size_t utf8_length(std::string_view text) noexcept {
    std::size_t count = 0;
    for (const char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++count;
    }
    return count;
}

/// Appends one JSON Pointer reference token, escaping '~' as "~0" and '/' as "~1".
inline void append_pointer_token(std::string& pointer, std::string_view token) {
    pointer += '/';
    for (const char c : token) {
        if (c == '~') {
            pointer += "~0";
        } else if (c == '/') {
            pointer += "~1";
        } else {
            pointer += c;
        }
    }
}

/// `pointer` extended by one token.
[[nodiscard]] inline std::string pointer_child(std::string pointer, std::string_view token) {
    append_pointer_token(pointer, token);
    return pointer;
}

/// `pointer` extended by an array index.
[[nodiscard]] inline std::string pointer_child(std::string pointer, std::size_t index) {
    pointer += '/';
    pointer += std::to_string(index);
    return pointer;
}

/// Splits a JSON Pointer into unescaped tokens; false if it is malformed.
[[nodiscard]] inline bool split_pointer(std::string_view pointer, std::vector<std::string>& tokens) {
    tokens.clear();
    if (pointer.empty()) return true;
    if (pointer.front() != '/') return false;
    std::string token;
    for (std::size_t i = 1; i <= pointer.size(); ++i) {
        if (i == pointer.size() || pointer[i] == '/') {
            tokens.push_back(std::move(token));
            token.clear();
        } else if (pointer[i] == '~') {
            if (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1')) return false;
            token += pointer[i + 1] == '0' ? '~' : '/';
            ++i;
        } else {
            token += pointer[i];
        }
    }
    return true;
}

/// The value at unescaped `tokens` below `root`, or nullptr.
[[nodiscard]] inline const nlohmann::json* find_pointer(const nlohmann::json& root,
                                                        const std::vector<std::string>& tokens) {
    const nlohmann::json* at = &root;
    for (const auto& token : tokens) {
        if (at->is_object()) {
            const auto it = at->find(token);
            if (it == at->end()) return nullptr;
            at = &*it;
        } else if (at->is_array()) {
            if (token.empty() || token.size() > 18 || (token.size() > 1 && token[0] == '0')) return nullptr;
            std::size_t index = 0;
            for (const char c : token) {
                if (c < '0' || c > '9') return nullptr;
                index = index * 10 + static_cast<std::size_t>(c - '0');
            }
            if (index >= at->size()) return nullptr;
            at = &(*at)[index];
        } else {
            return nullptr;
        }
    }
    return at;
}

/// Checks, without recursion, that `value` nests at most `max_depth` arrays/objects (the value
/// itself always passes). On failure stores in `path` the JSON Pointer of the first container that
/// is too deep and returns false.
[[nodiscard]] inline bool within_depth(const nlohmann::json& value, std::size_t max_depth, std::string& path) {
    return !json_depth_exceeds(value, std::max<std::size_t>(max_depth, 1), &path);
}

/// Like nlohmann::json::dump, but never throws on invalid UTF-8 and never recurses without bound.
[[nodiscard]] inline std::string safe_dump(const nlohmann::json& value) {
    std::string ignored;
    if (!within_depth(value, 64, ignored)) return value.is_array() ? "[...]" : "{...}";
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// A short description of a value for a message: scalars as JSON (long strings cut),
/// containers by size, so a message never copies a large payload.
[[nodiscard]] inline std::string describe_value(const nlohmann::json& value) {
    constexpr std::size_t max_bytes = 48;
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        if (text.size() <= max_bytes) return safe_dump(value);
        std::size_t cut = max_bytes;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) --cut;
        std::string shown = safe_dump(nlohmann::json(text.substr(0, cut)));
        shown.insert(shown.size() - 1, "...");
        return shown + " (" + std::to_string(utf8_length(text)) + " characters)";
    }
    if (value.is_array()) {
        if (value.empty()) return "[]";
        return "an array of " + std::to_string(value.size()) + (value.size() == 1 ? " item" : " items");
    }
    if (value.is_object()) {
        if (value.empty()) return "{}";
        return "an object with " + std::to_string(value.size()) + (value.size() == 1 ? " property" : " properties");
    }
    return safe_dump(value);
}

/// A schema value (enum list, const) as JSON text, cut to `max_bytes`.
[[nodiscard]] inline std::string dump_short(const nlohmann::json& value, std::size_t max_bytes = 120) {
    std::string text = safe_dump(value);
    if (text.size() > max_bytes) {
        std::size_t cut = max_bytes;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) --cut;
        text.resize(cut);
        text += "...";
    }
    return text;
}

/// The JSON type name of a value as JSON Schema spells it ("integer" for integral numbers).
[[nodiscard]] inline std::string_view schema_type_name(const nlohmann::json& value) noexcept {
    switch (value.type()) {
        case nlohmann::json::value_t::null:
            return "null";
        case nlohmann::json::value_t::boolean:
            return "boolean";
        case nlohmann::json::value_t::object:
            return "object";
        case nlohmann::json::value_t::array:
            return "array";
        case nlohmann::json::value_t::string:
            return "string";
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned:
            return "integer";
        case nlohmann::json::value_t::number_float:
            return is_integral_number(value) ? "integer" : "number";
        default:
            return "unknown";
    }
}

}  // namespace taskkit::detail
