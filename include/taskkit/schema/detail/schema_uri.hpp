/// @file schema/detail/schema_uri.hpp
/// Just enough of RFC 3986 for `$id` and `$ref`: reference resolution against a base URI,
/// fragment splitting and percent-decoding. Internal to taskkit::json_schema.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace taskkit::detail {

/// The five components of a URI reference (RFC 3986 section 3).
struct uri_parts {
    std::optional<std::string> scheme;
    std::optional<std::string> authority;
    std::string path;
    std::optional<std::string> query;
    std::optional<std::string> fragment;
};

/// Splits a URI reference into its components (RFC 3986 appendix B).
[[nodiscard]] inline uri_parts parse_uri(std::string_view text) {
    uri_parts parts;
    if (const auto hash = text.find('#'); hash != std::string_view::npos) {
        parts.fragment = std::string(text.substr(hash + 1));
        text = text.substr(0, hash);
    }
    if (const auto question = text.find('?'); question != std::string_view::npos) {
        parts.query = std::string(text.substr(question + 1));
        text = text.substr(0, question);
    }
    const auto colon = text.find(':');
    if (colon != std::string_view::npos && colon > 0 && text.substr(0, colon).find('/') == std::string_view::npos) {
        parts.scheme = std::string(text.substr(0, colon));
        text = text.substr(colon + 1);
    }
    if (text.substr(0, 2) == "//") {
        text = text.substr(2);
        const auto slash = text.find('/');
        parts.authority = std::string(text.substr(0, slash));
        text = slash == std::string_view::npos ? std::string_view() : text.substr(slash);
    }
    parts.path = std::string(text);
    return parts;
}

/// Removes "." and ".." segments from a path (RFC 3986 section 5.2.4).
[[nodiscard]] inline std::string remove_dot_segments(std::string_view input) {
    std::string output;
    while (!input.empty()) {
        if (input.substr(0, 3) == "../") {
            input.remove_prefix(3);
        } else if (input.substr(0, 2) == "./") {
            input.remove_prefix(2);
        } else if (input.substr(0, 3) == "/./") {
            input.remove_prefix(2);
        } else if (input == "/.") {
            input = "/";
        } else if (input.substr(0, 4) == "/../" || input == "/..") {
            input = input.size() == 3 ? std::string_view("/") : input.substr(3);
            const auto last = output.rfind('/');
            output.resize(last == std::string::npos ? 0 : last);
        } else if (input == "." || input == "..") {
            input = {};
        } else {
            const auto next = input.find('/', input.front() == '/' ? 1 : 0);
            output += input.substr(0, next);
            input = next == std::string_view::npos ? std::string_view() : input.substr(next);
        }
    }
    return output;
}

/// Recomposes a URI from its components.
[[nodiscard]] inline std::string compose_uri(const uri_parts& parts) {
    std::string out;
    if (parts.scheme) out += *parts.scheme + ":";
    if (parts.authority) out += "//" + *parts.authority;
    out += parts.path;
    if (parts.query) out += "?" + *parts.query;
    if (parts.fragment) out += "#" + *parts.fragment;
    return out;
}

/// Resolves `reference` against `base` (RFC 3986 section 5.2.2). An empty base leaves a relative
/// reference relative, which is enough to match `$ref`s against `$id`s of the same document.
[[nodiscard]] inline std::string resolve_uri(std::string_view base, std::string_view reference) {
    const uri_parts r = parse_uri(reference);
    const uri_parts b = parse_uri(base);
    uri_parts t;
    if (r.scheme) {
        t = r;
        t.path = remove_dot_segments(r.path);
    } else {
        t.scheme = b.scheme;
        if (r.authority) {
            t.authority = r.authority;
            t.path = remove_dot_segments(r.path);
            t.query = r.query;
        } else {
            t.authority = b.authority;
            if (r.path.empty()) {
                t.path = b.path;
                t.query = r.query ? r.query : b.query;
            } else {
                if (r.path.front() == '/') {
                    t.path = remove_dot_segments(r.path);
                } else if (b.authority && b.path.empty()) {
                    t.path = remove_dot_segments("/" + r.path);
                } else {
                    const auto slash = b.path.rfind('/');
                    const std::string merged =
                        (slash == std::string::npos ? std::string() : b.path.substr(0, slash + 1)) + r.path;
                    t.path = remove_dot_segments(merged);
                }
                t.query = r.query;
            }
        }
        t.fragment = r.fragment;
    }
    return compose_uri(t);
}

/// Splits "uri#fragment" into the URI (without '#') and the fragment (empty if there is none).
[[nodiscard]] inline std::pair<std::string, std::string> split_fragment(std::string_view uri) {
    const auto hash = uri.find('#');
    if (hash == std::string_view::npos) return {std::string(uri), std::string()};
    return {std::string(uri.substr(0, hash)), std::string(uri.substr(hash + 1))};
}

/// Decodes %XX escapes; false if an escape is malformed.
[[nodiscard]] inline bool percent_decode(std::string_view text, std::string& out) {
    out.clear();
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size() || hex(text[i + 1]) < 0 || hex(text[i + 2]) < 0) return false;
        out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
        i += 2;
    }
    return true;
}

}  // namespace taskkit::detail
