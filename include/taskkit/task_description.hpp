/// @file task_description.hpp
/// taskkit::task_description — what a registered task declares, for tools: the HTTP API, a
/// dashboard, a command that lists a program's tasks.
#pragma once

#include <taskkit/detail/config.hpp>

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <taskkit/machine.hpp>
#include <taskkit/queue_options.hpp>
#include <taskkit/retry.hpp>

namespace taskkit {

/// A registered task, as declared (registry::describe).
/// @code
/// for (const auto& task : rt.registry().describe())
///     fmt::print("{} ({}) on queue {}\n", task.id, task.kind, task.queue.name);
/// @endcode
struct task_description {
    std::string id;
    /// "task" for a taskkit::task; "schema", "scheduled" or "webhook" for the integrations' kinds.
    std::string kind;
    std::string description;
    queue_options queue;  ///< its name always set (the task id when the task names none)
    retry_options retry;
    machine machine_spec;
    std::optional<std::chrono::milliseconds> max_duration;
    /// The JSON Schema of its payload (null when the task has none).
    nlohmann::json payload_schema;
};

}  // namespace taskkit
