/// @file metadata_change.hpp
/// One change of a run's metadata (set, append, increment, remove), as a value: what
/// run_metadata makes, what a backend stores atomically, and what realtime subscribers are told.
#pragma once

#include <taskkit/detail/config.hpp>

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace taskkit {

/// The operations of run_metadata (Trigger.dev's metadata.set, append, increment, del).
enum class metadata_operation {
    set,        ///< `key` becomes `value`
    append,     ///< `value` is appended to the array at `key` (created when missing)
    increment,  ///< the number `value` is added to the number at `key` (0 when missing)
    remove,     ///< `key` is removed
};

/// The name of an operation: "set", "append", "increment", "remove".
[[nodiscard]] constexpr std::string_view to_string(metadata_operation operation) noexcept {
    switch (operation) {
        case metadata_operation::set:
            return "set";
        case metadata_operation::append:
            return "append";
        case metadata_operation::increment:
            return "increment";
        case metadata_operation::remove:
            return "remove";
    }
    return "set";
}

/// One change of one key of a run's metadata object.
struct metadata_change {
    metadata_operation operation = metadata_operation::set;
    std::string key;
    nlohmann::json value;  ///< set, append: the value; increment: the number to add; remove: null
};

/// Applies `change` to `metadata` (made an object when it is not one). Throws options_error when
/// the change does not fit what `key` holds (append to a non-array, increment of a non-number, or
/// an increment by something other than a number) or when the value nests deeper than
/// taskkit::max_payload_depth; `metadata` is then unchanged.
void apply(nlohmann::json& metadata, const metadata_change& change);

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/metadata_change.ipp>
#endif
