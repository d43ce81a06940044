/// @file detail/impl/run_index.ipp
/// The definitions of what <taskkit/detail/run_index.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/run_index.hpp>

#include <algorithm>
#include <array>
#include <functional>

namespace taskkit::detail {

TASKKIT_DECL std::string format_id(std::string_view prefix, std::uint64_t salt, std::uint64_t n) {
    // Two hex digits per table load, from the last pair of each number to its first: this runs at
    // every trigger.
    static constexpr auto pairs = [] {
        constexpr char digits[] = "0123456789abcdef";
        std::array<char, 512> table{};
        for (std::size_t byte = 0; byte < 256; ++byte) {
            table[2 * byte] = digits[byte >> 4U];
            table[2 * byte + 1] = digits[byte & 0xfU];
        }
        return table;
    }();
    std::string id(prefix.size() + 20, '0');
    std::copy(prefix.begin(), prefix.end(), id.begin());
    char* out = id.data() + prefix.size();
    for (int pair = 4; pair >= 0; --pair, salt >>= 8U, n >>= 8U) {
        const auto* s = &pairs[2 * (salt & 0xffU)];
        const auto* c = &pairs[2 * (n & 0xffU)];
        out[2 * pair] = s[0];
        out[2 * pair + 1] = s[1];
        out[10 + 2 * pair] = c[0];
        out[10 + 2 * pair + 1] = c[1];
    }
    return id;
}

TASKKIT_DECL std::uint64_t run_id_digest(std::string_view id) noexcept {
    // Hex digit values, 16 for anything else: one table load per character (this runs at
    // every add and every end of a run).
    static constexpr auto digit_of = [] {
        std::array<std::uint8_t, 256> table{};
        table.fill(16);
        for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - '0');
        for (int c = 'a'; c <= 'f'; ++c) table[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - 'a' + 10);
        return table;
    }();
    constexpr std::string_view prefix = "run_";
    if (id.size() == prefix.size() + 20 && id.substr(0, prefix.size()) == prefix) {
        std::uint64_t salt = 0;
        std::uint64_t counter = 0;
        unsigned invalid = 0;
        for (std::size_t i = 0; i < 10; ++i) {
            const auto high = digit_of[static_cast<unsigned char>(id[prefix.size() + i])];
            const auto low = digit_of[static_cast<unsigned char>(id[prefix.size() + 10 + i])];
            invalid |= high | low;
            salt = salt << 4U | high;
            counter = counter << 4U | low;
        }
        if (invalid < 16) return run_id_digest(salt, counter);
    }
    return std::hash<std::string_view>{}(id);
}

}  // namespace taskkit::detail
