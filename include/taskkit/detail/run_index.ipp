/// @file detail/run_index.ipp
/// The definitions of what <taskkit/detail/run_index.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/run_index.hpp>

namespace taskkit::detail {

TASKKIT_DECL std::string format_id(std::string_view prefix, std::uint64_t salt, std::uint64_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string id(prefix.size() + 20, '0');
    std::copy(prefix.begin(), prefix.end(), id.begin());
    char* out = id.data() + prefix.size();
    for (int i = 9; i >= 0; --i) out[9 - i] = digits[(salt >> (4 * i)) & 0xfU];
    for (int i = 9; i >= 0; --i) out[19 - i] = digits[(n >> (4 * i)) & 0xfU];
    return id;
}

TASKKIT_DECL std::uint64_t run_id_digest(std::string_view id) noexcept {
    constexpr std::string_view prefix = "run_";
    if (id.size() == prefix.size() + 20 && id.substr(0, prefix.size()) == prefix) {
        std::uint64_t salt = 0;
        std::uint64_t counter = 0;
        bool hex = true;
        for (std::size_t i = 0; i < 20 && hex; ++i) {
            const char c = id[prefix.size() + i];
            std::uint64_t digit = 0;
            if (c >= '0' && c <= '9') {
                digit = static_cast<std::uint64_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                digit = static_cast<std::uint64_t>(c - 'a' + 10);
            } else {
                hex = false;
            }
            auto& part = i < 10 ? salt : counter;
            part = part << 4U | digit;
        }
        if (hex) return counter + salt * 0x9E3779B97F4A7C15ULL;
    }
    return std::hash<std::string_view>{}(id);
}

}  // namespace taskkit::detail
