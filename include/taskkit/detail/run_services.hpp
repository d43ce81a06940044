/// @file detail/run_services.hpp
/// What a run's context asks of its runtime (waits), without depending on the runtime. Not for users.
#pragma once

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
};

}  // namespace taskkit::detail
