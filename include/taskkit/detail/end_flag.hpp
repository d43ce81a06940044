/// @file detail/end_flag.hpp
/// Whether a run has ended, and a wait for it. Not for users.
#pragma once

#include <atomic>
#include <cstdint>

namespace taskkit::detail {

/// A flag set when a run ends and cleared when retry() queues it again, that threads can
/// block on. Unlike std::atomic<bool>::wait/notify_all, whose notify makes a system call on
/// every end (libstdc++ cannot tell whether anyone waits), the ending thread wakes sleepers
/// only when a waiter has announced itself: a run nobody blocks on ends without a syscall.
class end_flag {
public:
    [[nodiscard]] bool load(std::memory_order order = std::memory_order_seq_cst) const noexcept {
        return (state_.load(order) & ended_bit) != 0;
    }

    /// Sets or clears the flag; wakes nobody (call notify_all once the run is consistent).
    void store(bool ended, std::memory_order order = std::memory_order_seq_cst) noexcept {
        if (ended) {
            state_.fetch_or(ended_bit, order);
        } else {
            state_.store(0, order);  // a waiter that announced itself before has seen the flag set
        }
    }

    /// Wakes the threads blocked in wait(), if any announced themselves.
    void notify_all() noexcept {
        // Ordered after store(true) (both touch state_): a waiter that announced itself before
        // that store is seen here, and one that announces itself after it sees the flag set.
        if ((state_.load(std::memory_order_acquire) & waiting_bit) != 0) state_.notify_all();
    }

    /// Blocks until the flag is set.
    void wait() const noexcept {
        std::uint32_t seen = state_.load(std::memory_order_acquire);
        while ((seen & ended_bit) == 0) {
            seen = state_.fetch_or(waiting_bit, std::memory_order_acq_rel) | waiting_bit;
            if ((seen & ended_bit) != 0) break;
            state_.wait(seen, std::memory_order_acquire);
            seen = state_.load(std::memory_order_acquire);
        }
    }

private:
    static constexpr std::uint32_t ended_bit = 1;
    static constexpr std::uint32_t waiting_bit = 2;

    mutable std::atomic<std::uint32_t> state_{0};
};

}  // namespace taskkit::detail
