/// @file detail/brief_mutex.hpp
/// A mutex for critical sections of a few hundred nanoseconds. Not for users.
#pragma once

#include <mutex>

#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <intrin.h>
#endif

namespace taskkit::detail {

/// A std::mutex that a thread finding it held tries again for a moment before it sleeps.
///
/// The memory backend's locks guard a few pointer moves. When a trigger and a worker meet on one,
/// a plain std::mutex puts the later one to sleep in the kernel and the holder pays a wake-up on
/// unlock: two system calls and a context switch for a wait far shorter than either. Retrying for
/// about a microsecond first finds the lock free nearly every time. A holder that was preempted
/// costs the spinner that microsecond, then it sleeps as before.
class brief_mutex {
public:
    brief_mutex() = default;
    brief_mutex(const brief_mutex&) = delete;
    brief_mutex& operator=(const brief_mutex&) = delete;

    void lock() {
        for (int i = 0; i < spins; ++i) {
            if (mutex_.try_lock()) return;
            relax();
        }
        mutex_.lock();
    }

    [[nodiscard]] bool try_lock() noexcept { return mutex_.try_lock(); }

    void unlock() noexcept { mutex_.unlock(); }

private:
    static constexpr int spins = 64;

    static void relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
        asm volatile("yield" ::: "memory");
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
        _mm_pause();
#endif
    }

    std::mutex mutex_;
};

}  // namespace taskkit::detail
