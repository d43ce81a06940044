/// @file detail/run_index.hpp
/// Run ids: how a runtime makes them, and the 64-bit digest under which the in-memory store's
/// digest_index finds them. Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace taskkit::detail {

/// A runtime's ids: `prefix` + a 40-bit salt + a 40-bit counter, in 20 hex digits
/// ("run_" ids are read back by run_id_digest below).
[[nodiscard]] std::string format_id(std::string_view prefix, std::uint64_t salt, std::uint64_t n);

/// The 64-bit digest of a run id that indexes it (two ids may share one: lookups compare ids).
/// A runtime's ids are "run_" + a 40-bit salt + a 40-bit counter in hex: for those the digest
/// is the counter plus a multiple of the salt, so runs created one after another get
/// neighbouring slots (adding and forgetting them stays in cache even with a million runs held),
/// and two runtimes sharing a store land in different places. Other ids are hashed.
[[nodiscard]] std::uint64_t run_id_digest(std::string_view id) noexcept;

/// run_id_digest of the id format_id("run_", salt, n) makes, from its numbers.
[[nodiscard]] constexpr std::uint64_t run_id_digest(std::uint64_t salt, std::uint64_t n) noexcept {
    constexpr std::uint64_t ten_digits = 0xffffffffffULL;  // format_id writes 10 hex digits of each
    return (n & ten_digits) + (salt & ten_digits) * 0x9E3779B97F4A7C15ULL;
}

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/run_index.ipp>
#endif
