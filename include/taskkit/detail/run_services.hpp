/// @file detail/run_services.hpp
/// What a run's context asks of its runtime (waits), without depending on the runtime. Not for users.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include <taskkit/run_record.hpp>

namespace taskkit::detail {

struct run_state;

class run_services {
public:
    virtual ~run_services() = default;
    /// Blocks the run until `at` on the runtime's clock, giving up its queue slot and machine
    /// meanwhile; false when the run was canceled (or timed out) first.
    virtual bool sleep_until(run_state& run, time_point at) = 0;
    /// The runtime's clock.
    [[nodiscard]] virtual time_point now() const = 0;

    /// A memoized step's stored result (ctx.step), if an earlier attempt of the run completed it.
    [[nodiscard]] virtual std::optional<nlohmann::json> step_result(run_state& run, std::string_view key) = 0;
    /// Stores a step's result for later attempts of the run.
    virtual void save_step(run_state& run, std::string_view key, const nlohmann::json& result) = 0;

    /// For runs whose backend stores logs, metadata and hook errors itself (run_state::recorder): a
    /// line the run wrote, its metadata after a change, and a hook's error.
    virtual void logged(run_state& run, const log_entry& entry) = 0;
    virtual void metadata_changed(run_state& run) = 0;
    /// An error a hook (or the log sink) of the run threw, already in its hook_errors.
    virtual void hook_failed(run_state& run, const error_info& error) = 0;
};

}  // namespace taskkit::detail
