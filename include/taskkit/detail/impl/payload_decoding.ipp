/// @file detail/impl/payload_decoding.ipp
/// The definitions of the functions <taskkit/detail/payload_decoding.hpp> declares: included by that
/// header (header-only, the default) or compiled once through <taskkit/src.hpp>
/// (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <string>

#include <taskkit/detail/payload_decoding.hpp>
#include <taskkit/error.hpp>

namespace taskkit::detail {

TASKKIT_DECL std::shared_ptr<run_state> make_run_from_json(const task_definition_base& task,
                                                           const nlohmann::json& payload) {
    if (task.validate_payload) task.validate_payload(payload);
    check_payload_depth(task.id, payload);
    // `decode` made a run_state and handed it over as void: cast back to that very type.
    if (task.payload_is_json) return std::static_pointer_cast<run_state>(task.payload_type.decode(payload));
    try {
        return std::static_pointer_cast<run_state>(decode_exact(payload, task.payload_type));
    } catch (const decode_error& e) {
        throw payload_error("payload for task '" + task.id + "' " +
                            (task.validate_payload ? "matches its schema but does not decode" : "does not decode") +
                            ": " + e.what());
    }
}

}  // namespace taskkit::detail
