/// @file detail/decode_failure.ipp
/// The definitions of what <taskkit/detail/decode_failure.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/decode_failure.hpp>

namespace taskkit::detail {

TASKKIT_DECL std::string escape_pointer_token(std::string_view token) {
    std::string out;
    out.reserve(token.size());
    for (const char c : token) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

TASKKIT_DECL std::string plain_decode_message(std::string_view what, std::string* path) {
    if (what.starts_with("[json.exception.")) {
        if (const auto end = what.find("] "); end != std::string_view::npos) what.remove_prefix(end + 2);
    }
    if (what.starts_with("(/") || what.starts_with("() ")) {
        if (const auto end = what.find(") "); end != std::string_view::npos) {
            if (path != nullptr) *path = std::string(what.substr(1, end - 1));
            what.remove_prefix(end + 2);
        }
    }
    constexpr std::size_t longest = 200;  // a custom from_json may put the whole value in its message
    std::string out(what.substr(0, longest));
    if (what.size() > longest) out += "...";
    return out;
}

TASKKIT_DECL std::optional<std::string> missing_key_in(std::string_view message) {
    constexpr std::string_view head = "key '";
    constexpr std::string_view tail = "' not found";
    if (message.starts_with(head) && message.ends_with(tail) && message.size() >= head.size() + tail.size())
        return std::string(message.substr(head.size(), message.size() - head.size() - tail.size()));
    return std::nullopt;
}

}  // namespace taskkit::detail
