/// @file schema/detail/schema_pattern.hpp
/// Translation of JSON Schema patterns (ECMA-262 regular expressions) into RE2 syntax, and their
/// compilation. RE2 matches in time linear in the input, so no pattern can backtrack
/// catastrophically; in exchange it has no lookaround and no backreferences. Internal.
#pragma once

#include <re2/re2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace taskkit::detail {

/// ECMA-262 white space and line terminators (the set `\s` matches), as class members for RE2.
inline constexpr std::string_view ecma_space_members =
    R"(\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF})";

/// Everything `\S` matches, as class members for RE2 (the complement of ecma_space_members).
inline constexpr std::string_view ecma_non_space_members =
    R"(\x{0}-\x{8}\x{E}-\x{1F}\x{21}-\x{9F}\x{A1}-\x{167F}\x{1681}-\x{1FFF}\x{200B}-\x{2027})"
    R"(\x{202A}-\x{202E}\x{2030}-\x{205E}\x{2060}-\x{2FFF}\x{3001}-\x{FEFE}\x{FF00}-\x{10FFFF})";

/// Appends `\x{...}` for a code point.
inline void append_code_point_escape(std::string& out, std::uint32_t code_point) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string hex;
    do {
        hex.insert(hex.begin(), digits[code_point % 16U]);
        code_point /= 16U;
    } while (code_point != 0);
    out += "\\x{" + hex + "}";
}

/// Reads `count` hex digits at `text[at]`; false if they are not all hex digits.
[[nodiscard]] inline bool read_hex(std::string_view text, std::size_t at, std::size_t count, std::uint32_t& value) {
    if (at + count > text.size()) return false;
    value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        const char c = text[i];
        std::uint32_t digit = 0;
        if (c >= '0' && c <= '9') {
            digit = static_cast<std::uint32_t>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            digit = static_cast<std::uint32_t>(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            digit = static_cast<std::uint32_t>(c - 'A' + 10);
        } else {
            return false;
        }
        value = value * 16U + digit;
    }
    return true;
}

/// Translates an ECMA-262 pattern into RE2 syntax. On failure returns false with a reason in `error`.
///
/// Handled: `.` excludes all ECMA line terminators; `\s`/`\S` use ECMA's Unicode white space;
/// `\uXXXX` (and surrogate pairs), `\u{...}`, `\cX`, `\0`; `[^]` and `[]`; `(?<name>`;
/// identity escapes such as `\z` mean the letter itself. Refused with a clear reason:
/// lookahead/lookbehind and backreferences, which RE2 cannot run in linear time.
[[nodiscard]] inline bool translate_ecma_pattern(std::string_view in, std::string& out, std::string& error) {
    out.clear();
    out.reserve(in.size() + 16);
    bool in_class = false;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '\\') {
            if (i + 1 >= in.size()) {
                error = "the pattern ends with a lone backslash";
                return false;
            }
            const char e = in[++i];
            switch (e) {
                case 'd':
                case 'D':
                case 'w':
                case 'W':
                case 't':
                case 'n':
                case 'r':
                case 'f':
                case 'v':
                    out += '\\';
                    out += e;
                    break;
                case 'b':
                case 'B':
                    if (in_class && e == 'b') {
                        out += "\\x{8}";  // [\b] is a backspace
                    } else {
                        out += '\\';
                        out += e;
                    }
                    break;
                case 's':
                    out += in_class ? std::string(ecma_space_members) : "[" + std::string(ecma_space_members) + "]";
                    break;
                case 'S':
                    out += in_class ? std::string(ecma_non_space_members)
                                    : "[" + std::string(ecma_non_space_members) + "]";
                    break;
                case 'p':
                case 'P':  // Unicode properties (ECMA's /u flag); RE2 knows the common ones
                    out += '\\';
                    out += e;
                    break;
                case 'u': {
                    std::uint32_t code = 0;
                    if (i + 1 < in.size() && in[i + 1] == '{') {
                        const auto close = in.find('}', i + 2);
                        if (close == std::string_view::npos || close == i + 2 || close - i - 2 > 6 ||
                            !read_hex(in, i + 2, close - i - 2, code) || code > 0x10FFFFU) {
                            error = "invalid \\u{...} escape";
                            return false;
                        }
                        i = close;
                    } else if (read_hex(in, i + 1, 4, code)) {
                        i += 4;
                        std::uint32_t low = 0;
                        if (code >= 0xD800U && code <= 0xDBFFU && i + 2 < in.size() && in[i + 1] == '\\' &&
                            in[i + 2] == 'u' && read_hex(in, i + 3, 4, low) && low >= 0xDC00U && low <= 0xDFFFU) {
                            code = 0x10000U + ((code - 0xD800U) << 10U) + (low - 0xDC00U);
                            i += 6;
                        }
                    } else {
                        out += 'u';  // an identity escape outside /u mode
                        break;
                    }
                    if (code >= 0xD800U && code <= 0xDFFFU) {
                        error = "a lone surrogate (\\uD800-\\uDFFF) cannot be matched in UTF-8 text";
                        return false;
                    }
                    append_code_point_escape(out, code);
                    break;
                }
                case 'x': {
                    std::uint32_t code = 0;
                    if (read_hex(in, i + 1, 2, code)) {
                        append_code_point_escape(out, code);
                        i += 2;
                    } else {
                        out += 'x';
                    }
                    break;
                }
                case 'c': {
                    if (i + 1 < in.size() &&
                        ((in[i + 1] >= 'a' && in[i + 1] <= 'z') || (in[i + 1] >= 'A' && in[i + 1] <= 'Z'))) {
                        append_code_point_escape(out, static_cast<std::uint32_t>(in[i + 1]) % 32U);
                        ++i;
                    } else {
                        out += "\\\\c";
                    }
                    break;
                }
                case '0':
                    if (i + 1 < in.size() && in[i + 1] >= '0' && in[i + 1] <= '9') {
                        error = "octal escapes are not supported";
                        return false;
                    }
                    out += "\\x{0}";
                    break;
                case '1':
                case '2':
                case '3':
                case '4':
                case '5':
                case '6':
                case '7':
                case '8':
                case '9':
                    error = "backreferences (\\1 ... \\9) are not supported";
                    return false;
                case 'k':
                    error = "named backreferences (\\k<name>) are not supported";
                    return false;
                default:
                    if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || e == '_') {
                        out += e;  // identity escape: \z is "z" in ECMA-262, not RE2's end of text
                    } else if (static_cast<unsigned char>(e) >= 0x80U) {
                        out += e;  // first byte of an escaped non-ASCII character: the character itself
                    } else {
                        out += '\\';
                        out += e;
                    }
                    break;
            }
            continue;
        }
        if (in_class) {
            if (c == ']') {
                in_class = false;
                out += ']';
            } else if (c == '[') {
                out += "\\[";  // "[[:alpha:]]" is not a POSIX class in ECMA-262
            } else {
                out += c;
            }
            continue;
        }
        switch (c) {
            case '.':
                out += R"([^\n\r\x{2028}\x{2029}])";
                break;
            case '[':
                if (in.substr(i, 3) == "[^]") {
                    out += "(?s:.)";
                    i += 2;
                } else if (in.substr(i, 2) == "[]") {
                    out += R"([^\x{0}-\x{10FFFF}])";
                    i += 1;
                } else {
                    in_class = true;
                    out += '[';
                    if (i + 1 < in.size() && in[i + 1] == '^') {
                        out += '^';
                        ++i;
                    }
                    if (i + 1 < in.size() && in[i + 1] == ']') {  // cannot happen after the checks above
                        error = "invalid character class";
                        return false;
                    }
                }
                break;
            case '(':
                if (in.substr(i, 3) == "(?=" || in.substr(i, 3) == "(?!") {
                    error = "lookahead assertions (?= and (?! are not supported";
                    return false;
                }
                if (in.substr(i, 4) == "(?<=" || in.substr(i, 4) == "(?<!") {
                    error = "lookbehind assertions (?<= and (?<! are not supported";
                    return false;
                }
                if (in.substr(i, 3) == "(?<") {
                    out += "(?P<";
                    i += 2;
                } else {
                    out += '(';
                }
                break;
            default:
                out += c;
                break;
        }
    }
    if (in_class) {
        error = "a character class is not closed with ']'";
        return false;
    }
    return true;
}

/// Compiles an ECMA-262 pattern for unanchored search. On failure returns nullptr with a reason.
[[nodiscard]] inline std::shared_ptr<const re2::RE2> compile_pattern(std::string_view pattern, std::string& error) {
    std::string translated;
    if (!translate_ecma_pattern(pattern, translated, error)) return nullptr;
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_encoding(re2::RE2::Options::EncodingUTF8);
    auto re = std::make_shared<const re2::RE2>(translated, options);
    if (!re->ok()) {
        error = re->error();
        return nullptr;
    }
    return re;
}

/// Whether `pattern` matches anywhere in `text` (JSON Schema patterns are not anchored).
[[nodiscard]] inline bool pattern_search(const re2::RE2& pattern, std::string_view text) {
    return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), pattern);
}

}  // namespace taskkit::detail
