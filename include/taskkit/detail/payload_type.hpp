/// @file detail/payload_type.hpp
/// A payload type's conversions, type-erased for the strict decoder (detail/decode_failure.hpp). Not
/// for users.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace taskkit::detail {

/// What the decoder needs of a payload type, type-erased: the search for problems and the number
/// checks are compiled once (with the engine), not in every file that defines a task.
struct payload_type_ops {
    /// Decodes JSON into a new value of the type, throwing what the conversion throws.
    std::shared_ptr<void> (*decode)(const nlohmann::json&) = nullptr;
    /// A value `decode` made, written back as JSON (may throw).
    nlohmann::json (*encode)(const void*) = nullptr;
    /// A value of the type as JSON, the reference of locate_decode_problems; nullopt when none can
    /// be made (the type is not default-constructible, or its to_json throws).
    std::optional<nlohmann::json> (*reference)() = nullptr;
};

/// `P{}` as JSON: payload_type_ops::reference for P.
template <class P>
std::optional<nlohmann::json> reference_of() {
    if constexpr (std::is_default_constructible_v<P>) {
        try {
            return nlohmann::json(P{});
        } catch (...) {
        }
    }
    return std::nullopt;
}

/// payload_type_ops for P, whose values are a P each.
template <class P>
payload_type_ops payload_ops_of() {
    payload_type_ops ops;
    ops.decode = [](const nlohmann::json& j) -> std::shared_ptr<void> {
        return std::make_shared<P>(j.template get<P>());
    };
    ops.encode = [](const void* value) { return nlohmann::json(*static_cast<const P*>(value)); };
    ops.reference = &reference_of<P>;
    return ops;
}

}  // namespace taskkit::detail
