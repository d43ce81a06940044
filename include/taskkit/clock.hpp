/// @file clock.hpp
/// Time as the runtime sees it: the real clock, or a virtual clock that tests move by hand.
#pragma once

#include <taskkit/detail/config.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <vector>

namespace taskkit {

/// The runtime's source of time. Timestamps on run records, retry delays, delays, ttl and
/// max_duration all follow it.
class clock {
public:
    using time_point = std::chrono::system_clock::time_point;
    using duration = std::chrono::system_clock::duration;

    virtual ~clock() = default;

    /// The current time.
    [[nodiscard]] virtual time_point now() const = 0;

    /// Blocks on `cv` (whose mutex `lock` holds) until `deadline` has passed on this clock or the
    /// condition variable is notified. May return spuriously.
    virtual void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, time_point deadline) = 0;

    /// Registers a callback run whenever this clock jumps (a virtual clock advancing), so that
    /// sleepers can re-check their deadlines. Returns a token for remove_listener.
    virtual std::uint64_t add_listener(std::function<void()>) { return 0; }
    /// Removes a callback registered with add_listener.
    virtual void remove_listener(std::uint64_t) {}
};

/// The real wall clock (std::chrono::system_clock).
class real_clock final : public clock {
public:
    [[nodiscard]] TASKKIT_DECL time_point now() const override;
    TASKKIT_DECL void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                                 time_point deadline) override;
};

/// A clock that stands still until a test moves it, so delays, retries, ttl and max_duration
/// become instantaneous and deterministic.
/// @code
/// auto clock = std::make_shared<taskkit::virtual_clock>();
/// taskkit::runtime rt({.clock = clock});
/// auto handle = rt.trigger(flaky, {});
/// clock->advance(2s);   // the retry scheduled 1–2 s out fires now
/// @endcode
class virtual_clock final : public clock {
public:
    /// Starts at `start` (by default 2026-01-01T00:00:00Z, so records are readable and stable).
    explicit virtual_clock(time_point start = time_point(std::chrono::seconds(1767225600)));

    [[nodiscard]] TASKKIT_DECL time_point now() const override;

    TASKKIT_DECL void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                                 time_point deadline) override;

    /// Moves the clock forward by `by` and wakes every sleeper.
    void advance(duration by) { set(now() + by); }

    /// Moves the clock to `to` (never backwards) and wakes every sleeper.
    void set(time_point to);

    TASKKIT_DECL std::uint64_t add_listener(std::function<void()> listener) override;

    TASKKIT_DECL void remove_listener(std::uint64_t token) override;

private:
    std::mutex calling_mutex_;  // held while listeners run; taken before mutex_
    mutable std::mutex mutex_;
    time_point now_;
    std::uint64_t next_token_ = 0;
    std::list<std::pair<std::uint64_t, std::function<void()>>> listeners_;  // stable addresses
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/clock.ipp>
#endif
