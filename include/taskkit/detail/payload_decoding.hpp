/// @file detail/payload_decoding.hpp
/// Runs made from JSON payloads, decoded strictly: what triggers by id, schedules and runs read back
/// from a backend use. Included by the runtime and the engine, not by the headers that define and
/// trigger tasks, so the decoder is compiled with the engine. Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <memory>

#include <nlohmann/json.hpp>

#include <taskkit/detail/decode_failure.hpp>
#include <taskkit/detail/run_state.hpp>
#include <taskkit/detail/task_definition.hpp>
#include <taskkit/detail/task_definition_base.hpp>

namespace taskkit::detail {

/// A new run of `task` from a JSON payload: validated first when the task has a validator (by
/// reference), its depth checked (max_payload_depth), then decoded with decode_exact, numbers
/// included. Throws validation_error or payload_error naming what did not fit.
std::shared_ptr<run_state> make_run_from_json(const task_definition_base& task, const nlohmann::json& payload);

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/payload_decoding.ipp>
#endif
