/// @file detail/impl/task_definition.ipp
/// The definitions of the functions <taskkit/detail/task_definition.hpp> declares: included by that header
/// (header-only, the default) or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/task_definition.hpp>

namespace taskkit::detail {

TASKKIT_DECL void check_payload_depth(std::string_view task_id, const nlohmann::json& payload) {
    std::string where;
    if (!json_depth_exceeds(payload, max_payload_depth, &where)) return;
    constexpr std::size_t shown = 64;  // the pointer of a deep container is as long as it is deep
    if (where.size() > shown) where = where.substr(0, shown) + "...";
    throw payload_error("payload for task '" + std::string(task_id) + "' nests deeper than " +
                        std::to_string(max_payload_depth) + " arrays/objects (taskkit::max_payload_depth), first at " +
                        where + "; it is refused before it is copied");
}

}  // namespace taskkit::detail
