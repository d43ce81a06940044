/// @file impl/metadata_change.ipp
/// The definitions of what <taskkit/metadata_change.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/metadata_change.hpp>

#include <cstdint>

#include <taskkit/detail/json_depth.hpp>
#include <taskkit/error.hpp>

namespace taskkit {

namespace detail {
/// A value going into a run's metadata object (`below_root` levels below its root) must keep the
/// whole within max_payload_depth: snapshots copy it, and JSON copies recurse.
inline void check_metadata_depth(std::string_view key, const nlohmann::json& value, std::size_t below_root) {
    if (std::string where; json_depth_exceeds(value, max_payload_depth - below_root, &where))
        throw options_error("metadata '" + std::string(key) + "' nests deeper than taskkit::max_payload_depth (" +
                            std::to_string(max_payload_depth) + "), first at " + where);
}
}  // namespace detail

TASKKIT_DECL void apply(nlohmann::json& metadata, const metadata_change& change) {
    const auto& key = change.key;
    // Every check comes before the first write: a refused change leaves the object as it was.
    switch (change.operation) {
        case metadata_operation::set:
            detail::check_metadata_depth(key, change.value, 1);
            break;
        case metadata_operation::append:
            detail::check_metadata_depth(key, change.value, 2);
            break;
        case metadata_operation::increment:
            if (!change.value.is_number())
                throw options_error("metadata '" + key + "': an increment must be a number, not " +
                                    std::string(change.value.type_name()));
            break;
        case metadata_operation::remove:
            break;
    }
    if (!metadata.is_object()) metadata = nlohmann::json(nlohmann::json::value_t::object);
    if (change.operation == metadata_operation::remove) {
        metadata.erase(key);
        return;
    }
    auto found = metadata.find(key);
    const bool present = found != metadata.end() && !found->is_null();
    switch (change.operation) {
        case metadata_operation::set:
            metadata[key] = change.value;
            return;
        case metadata_operation::append:
            if (present && !found->is_array())
                throw options_error("metadata '" + key + "' is not an array: cannot append");
            if (!present) metadata[key] = nlohmann::json(nlohmann::json::value_t::array);
            metadata[key].push_back(change.value);
            return;
        case metadata_operation::increment: {
            if (present && !found->is_number())
                throw options_error("metadata '" + key + "' is not a number: cannot increment");
            const nlohmann::json current = present ? *found : nlohmann::json(0);
            if (current.is_number_integer() && change.value.is_number_integer())
                metadata[key] = current.get<std::int64_t>() + change.value.get<std::int64_t>();
            else
                metadata[key] = current.get<double>() + change.value.get<double>();
            return;
        }
        case metadata_operation::remove:
            return;
    }
}

}  // namespace taskkit
