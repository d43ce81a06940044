/// @file wait_info.hpp
/// What a run waits on, as the on_wait and on_resume hooks are told: a duration, runs, a batch, a token.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskkit {

// The same alias as run_record.hpp's (which includes this header for run_record::waiting_for).
using time_point = std::chrono::system_clock::time_point;

/// The kind of a wait (Trigger.dev's wait types: duration, task, batch, token).
enum class wait_kind {
    duration,  ///< ctx.wait_for / ctx.wait_until: `until` is set
    run,       ///< trigger_and_wait, or waiting on run handles: `run_ids` (one or more, none of one batch)
    batch,     ///< batch_trigger_and_wait: `batch_id` and `run_ids`
    token,     ///< a waitpoint token: `token_id`
};

/// The name of a wait kind: "duration", "run", "batch", "token".
[[nodiscard]] constexpr std::string_view to_string(wait_kind kind) noexcept {
    switch (kind) {
        case wait_kind::duration:
            return "duration";
        case wait_kind::run:
            return "run";
        case wait_kind::batch:
            return "batch";
        case wait_kind::token:
            return "token";
    }
    return "unknown";
}

/// What a run waits on: passed to on_wait when the wait begins and to on_resume, the same value,
/// when it ends (whether it was satisfied, canceled or timed out), and kept on the run's record
/// (run_record::waiting_for) while the wait lasts. A plain value: copy it freely.
/// @code
/// .on_wait = [](const order&, const taskkit::wait_info& w, taskkit::run_context& ctx) {
///     ctx.logger().info(fmt::format("waiting on {} ({} runs)", taskkit::to_string(w.kind), w.run_ids.size()));
/// },
/// @endcode
struct wait_info {
    wait_kind kind = wait_kind::duration;
    std::optional<time_point> until;   ///< duration: the runtime-clock time the wait ends
    std::vector<std::string> run_ids;  ///< run and batch: the runs waited on
    std::string batch_id;              ///< batch: the batch's id
    std::string token_id;              ///< token: the token's id
    bool any = false;                  ///< run: the wait ends with the first run of run_ids that ends

    friend bool operator==(const wait_info&, const wait_info&) = default;
};

}  // namespace taskkit
