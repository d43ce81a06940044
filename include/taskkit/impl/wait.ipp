/// @file impl/wait.ipp
/// The definitions of what <taskkit/wait.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/wait.hpp>

namespace taskkit::detail {

TASKKIT_DECL bool wait_states(const std::vector<std::shared_ptr<run_state>>& states, wait_mode mode,
                              std::optional<std::chrono::steady_clock::time_point> deadline) {
    for (const auto& s : states) {
        if (!s) throw state_error("wait_all / wait_any: a run_handle refers to no run");
    }
    for (const auto& s : states) {
        if (auto core = s->runtime.lock()) return core->wait(states, mode, deadline);
    }
    return true;  // no runtime is left: every run has ended
}

TASKKIT_DECL std::optional<std::size_t> first_finished(const std::vector<std::shared_ptr<run_state>>& states) {
    std::optional<std::size_t> best;
    time_point best_time = time_point::max();
    for (std::size_t i = 0; i < states.size(); ++i) {
        std::lock_guard lock(states[i]->mutex);
        if (!is_terminal(states[i]->status)) continue;
        const auto at = states[i]->finished_at.value_or(time_point::min());
        if (!best || at < best_time) {
            best = i;
            best_time = at;
        }
    }
    return best;
}

}  // namespace taskkit::detail
