/// @file run_update.hpp
/// What realtime subscribers are told of a run: a status change, a metadata change, a stream chunk.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include <taskkit/metadata_change.hpp>
#include <taskkit/run_status.hpp>

namespace taskkit {

/// What changed (Trigger.dev's realtime run updates and stream parts).
enum class update_kind {
    status,    ///< the run's status changed: `status` and `attempt` are the new ones
    metadata,  ///< its metadata changed: `metadata` is the whole object after `change`
    stream,    ///< a chunk was appended to one of its streams: `stream`, `index`, `chunk`
};

/// The name of a kind: "status", "metadata", "stream".
[[nodiscard]] constexpr std::string_view to_string(update_kind kind) noexcept {
    switch (kind) {
        case update_kind::status:
            return "status";
        case update_kind::metadata:
            return "metadata";
        case update_kind::stream:
            return "stream";
    }
    return "status";
}

/// One change of one run, passed to the callbacks of runtime::watch and run_handle::watch. Valid
/// during the call only (copy what you keep): the views and pointers point into the runtime.
/// @code
/// auto watching = rt.watch(handle.id(), [](const taskkit::run_update& u) {
///     if (u.kind == taskkit::update_kind::metadata) show_progress((*u.metadata)["done"]);
/// });
/// @endcode
struct run_update {
    update_kind kind = update_kind::status;
    std::string_view run_id;
    std::string_view task_id;
    run_status status = run_status::queued;  ///< the run's status (for every kind)
    int attempt = 0;                         ///< the run's attempt number (0 before the first)
    /// metadata: the run's whole metadata object after the change; null for other kinds.
    const nlohmann::json* metadata = nullptr;
    /// metadata: the change made (null when a backend reported the new object only).
    const metadata_change* change = nullptr;
    std::string_view stream;                ///< stream: the stream's name
    std::size_t index = 0;                  ///< stream: the chunk's position in its stream, from 0
    const nlohmann::json* chunk = nullptr;  ///< stream: the chunk; null for other kinds
};

}  // namespace taskkit
