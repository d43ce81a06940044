/// @file detail/in_process_host.hpp
/// What a backend living in the runtime's process (the memory backend) may ask beyond
/// backend_host: the runtime's timer queue itself, so a delayed run's timer allocates nothing. Not
/// for users.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

#include <taskkit/backend/backend_host.hpp>
#include <taskkit/detail/timer_queue.hpp>

namespace taskkit::detail {

class in_process_host : public backend_host {
public:
    /// The runtime's timer queue (delays, retries, ttl, rate windows share it with max_duration).
    [[nodiscard]] virtual timer_queue& timers() = 0;
    /// Routes the run timers the runtime does not handle itself (delays, retries, ttl) to `handler`.
    virtual void on_run_timers(std::function<void(const run_timer&)> handler) = 0;
    /// How many subscribers follow status events now: while it is 0, observes_status() is false,
    /// and a backend in the process reads this count at each status change instead of asking.
    [[nodiscard]] virtual const std::atomic<std::size_t>& status_observers() const noexcept = 0;
};

}  // namespace taskkit::detail
