/// @file detail/run_services.hpp
/// What a run's context asks of its runtime (waits), without depending on the runtime. Not for users.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <taskkit/detail/token_wait.hpp>
#include <taskkit/error.hpp>
#include <taskkit/metadata_change.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/waitpoint_options.hpp>
#include <taskkit/waitpoint_token.hpp>

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

    /// ctx.create_token: a token of the run's backend; without a key, one derived from the run's
    /// id and `position` (the attempt's n-th token), so a run executed again finds its tokens.
    virtual waitpoint_token create_token(run_state& /*run*/, const token_options& /*options*/, int /*position*/) {
        throw state_error("this runtime has no waitpoint tokens");
    }
    /// ctx.wait_for_token: blocks the run until the token is completed, times out, or the run is
    /// canceled, giving up its queue slot and machine meanwhile.
    virtual token_wait wait_for_token(run_state& /*run*/, std::string_view /*token_id*/) {
        throw state_error("this runtime has no waitpoint tokens");
    }

    /// For runs whose backend stores logs and hook errors itself (run_state::recorder): a line the
    /// run wrote, and an error a hook (or the log sink) of the run threw, already in its hook_errors.
    virtual void logged(run_state& run, const log_entry& entry) = 0;
    virtual void hook_failed(run_state& run, const error_info& error) = 0;

    /// A change of the run's metadata, already made on its object (by its own code, or by a
    /// child's, for a parent or root held here): stored by a backend that stores metadata, and
    /// passed to realtime subscribers.
    virtual void metadata_changed(run_state& run, const metadata_change& change) = 0;
    /// The object of run `run_id` when this process holds it (a parent or root executing here, or
    /// any run of the memory backend); null otherwise.
    [[nodiscard]] virtual std::shared_ptr<run_state> held_run_state(std::string_view /*run_id*/) { return nullptr; }
    /// The parent id of run `run_id` from its backend's record (empty for a root run); nullopt for
    /// an unknown run.
    [[nodiscard]] virtual std::optional<std::string> parent_of(std::string_view /*run_id*/) { return std::nullopt; }
    /// Changes the metadata of a run this process does not hold, where its backend keeps it.
    virtual void change_metadata_elsewhere(std::string_view run_id, const metadata_change& /*change*/) {
        throw state_error("run " + std::string(run_id) + " is not held here: its metadata cannot change");
    }
    /// The metadata of a run this process does not hold.
    [[nodiscard]] virtual nlohmann::json metadata_elsewhere(std::string_view run_id) {
        throw state_error("run " + std::string(run_id) + " is not held here: its metadata cannot be read");
    }

    /// ctx.stream(name).append(chunk): keeps the chunk on the run (bounded), stores it with a
    /// backend that stores streams, and passes it to realtime subscribers.
    virtual void append_stream(run_state& run, std::string_view stream, nlohmann::json chunk) = 0;
};

}  // namespace taskkit::detail
