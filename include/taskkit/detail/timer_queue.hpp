/// @file detail/timer_queue.hpp
/// One timer for every delay of a runtime (retries, delays, ttl, max_duration): a min-heap
/// served by a single thread, or driven by hand. Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <variant>
#include <vector>

#include <taskkit/clock.hpp>

namespace taskkit::detail {

struct run_state;

/// A timer about one run (its delay, retry, ttl or max_duration): plain data handed to the
/// runtime's handler, so a queued run's timer allocates nothing beyond its heap entry.
struct run_timer {
    enum class kind : std::uint8_t { delay_over, retry_due, ttl_over, max_duration_over };
    std::weak_ptr<run_state> run;
    std::uint64_t generation = 0;  ///< the run's generation when armed: a later one makes it stale
    int attempt = 0;               ///< for max_duration: the attempt it limits
    kind what = kind::delay_over;
};

class timer_queue {
public:
    using callback = std::function<void()>;
    using run_timer_handler = std::function<void(const run_timer&)>;

    explicit timer_queue(std::shared_ptr<clock> time);

    timer_queue(const timer_queue&) = delete;
    timer_queue& operator=(const timer_queue&) = delete;

    ~timer_queue();

    /// Sets what handles run timers; call once, before any is scheduled.
    void set_run_timer_handler(run_timer_handler handler);

    /// Runs `fn` on the timer thread (or the driving thread) once `at` has passed.
    /// A background timer (a recurring schedule, say) does not keep a hand-driven runtime
    /// busy: run_until_idle() stops when only background timers are left.
    void schedule(clock::time_point at, callback fn, bool background = false);

    /// Hands `timer` to the run timer handler once `at` has passed.
    void schedule(clock::time_point at, run_timer timer);

    /// How many timers that are not background timers are pending.
    [[nodiscard]] std::size_t foreground() const;

    /// Starts the thread that fires timers as they fall due.
    void start_thread();

    /// Stops the thread (timers not yet due are dropped).
    void stop();

    /// The earliest deadline, if any timer is pending.
    [[nodiscard]] std::optional<clock::time_point> next_deadline() const;

    /// Fires every timer due at the clock's current time, on the calling thread. Returns how many fired.
    std::size_t fire_due();

    [[nodiscard]] std::size_t size() const;

private:
    using action = std::variant<callback, run_timer>;
    static constexpr std::uint64_t background_bit = std::uint64_t{1} << 63U;

    struct entry {
        clock::time_point at;
        std::uint64_t seq;  // equal deadlines fire in the order they were scheduled; top bit: background
        action what;
        [[nodiscard]] bool background() const noexcept { return (seq >> 63U) != 0; }
        bool operator>(const entry& other) const {
            return at != other.at ? at > other.at : (seq & ~background_bit) > (other.seq & ~background_bit);
        }
    };

    void push(clock::time_point at, action what, bool background);

    action take_top_locked();

    void run(action& due);

    void loop();

    std::shared_ptr<clock> clock_;
    std::uint64_t listener_ = 0;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    run_timer_handler run_timer_handler_;
    std::priority_queue<entry, std::vector<entry>, std::greater<>> heap_;
    std::uint64_t next_seq_ = 0;
    std::size_t foreground_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/timer_queue.ipp>
#endif
