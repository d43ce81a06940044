/// @file detail/spin_mutex.hpp
/// A mutex that spins briefly before it sleeps. Not for users.
#pragma once

#include <mutex>

namespace taskkit::detail {

/// A std::mutex taken by spinning on try_lock for a short while before blocking. The scheduler
/// holds its lock for tens of nanoseconds at a time; a thread that finds it taken usually gets
/// it a moment later, and sleeping in the kernel (then being woken) costs far more than that.
/// `native()` is the std::mutex a condition_variable waits with.
class spin_mutex {
public:
    void lock() {
        for (int i = 0; i < spins; ++i) {
            if (mutex_.try_lock()) return;
            relax();
        }
        mutex_.lock();
    }
    bool try_lock() { return mutex_.try_lock(); }
    void unlock() { mutex_.unlock(); }

    /// A held std::unique_lock of native(), taken like lock(): what a condition_variable waits with.
    [[nodiscard]] std::unique_lock<std::mutex> acquire() {
        std::unique_lock held(mutex_, std::defer_lock);
        relock(held);
        return held;
    }

    /// Takes `held` (an unlocked unique_lock of native()) again, spinning first.
    static void relock(std::unique_lock<std::mutex>& held) {
        for (int i = 0; i < spins; ++i) {
            if (held.try_lock()) return;
            relax();
        }
        held.lock();
    }

    [[nodiscard]] std::mutex& native() noexcept { return mutex_; }

    /// Tells the processor this thread is spinning.
    static void relax() noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
        __builtin_ia32_pause();  // the builtin, not <immintrin.h>: that header costs every includer ~0.8 s
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
        asm volatile("yield");
#endif
    }

private:
    static constexpr int spins = 100;

    std::mutex mutex_;
};

}  // namespace taskkit::detail
