/// @file detail/timer_queue.hpp
/// One timer for every delay of a runtime (retries, delays, ttl, max_duration): a min-heap
/// served by a single thread, or driven by hand. Not for users.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <vector>

#include <taskkit/clock.hpp>

namespace taskkit::detail {

class timer_queue {
public:
    using callback = std::function<void()>;

    explicit timer_queue(std::shared_ptr<clock> time) : clock_(std::move(time)) {
        listener_ = clock_->add_listener([this] {
            std::lock_guard lock(mutex_);
            cv_.notify_all();
        });
    }

    timer_queue(const timer_queue&) = delete;
    timer_queue& operator=(const timer_queue&) = delete;

    ~timer_queue() {
        stop();
        clock_->remove_listener(listener_);
    }

    /// Runs `fn` on the timer thread (or the driving thread) once `at` has passed.
    /// A background timer (a recurring schedule, say) does not keep a hand-driven runtime
    /// busy: run_until_idle() stops when only background timers are left.
    void schedule(clock::time_point at, callback fn, bool background = false) {
        std::lock_guard lock(mutex_);
        const bool earliest = heap_.empty() || at < heap_.top().at;
        heap_.push(entry{at, next_seq_++, std::move(fn), background});
        if (!background) ++foreground_;
        if (earliest) cv_.notify_all();
    }

    /// How many timers that are not background timers are pending.
    [[nodiscard]] std::size_t foreground() const {
        std::lock_guard lock(mutex_);
        return foreground_;
    }

    /// Starts the thread that fires timers as they fall due.
    void start_thread() {
        thread_ = std::thread([this] { loop(); });
    }

    /// Stops the thread (timers not yet due are dropped).
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            cv_.notify_all();
        }
        if (thread_.joinable()) thread_.join();
    }

    /// The earliest deadline, if any timer is pending.
    [[nodiscard]] std::optional<clock::time_point> next_deadline() const {
        std::lock_guard lock(mutex_);
        if (heap_.empty()) return std::nullopt;
        return heap_.top().at;
    }

    /// Fires every timer due at the clock's current time, on the calling thread. Returns how many fired.
    std::size_t fire_due() {
        std::size_t fired = 0;
        std::unique_lock lock(mutex_);
        while (!heap_.empty() && heap_.top().at <= clock_->now()) {
            callback fn = std::move(const_cast<entry&>(heap_.top()).fn);
            if (!heap_.top().background) --foreground_;
            heap_.pop();
            lock.unlock();
            fn();
            ++fired;
            lock.lock();
        }
        return fired;
    }

    [[nodiscard]] std::size_t size() const {
        std::lock_guard lock(mutex_);
        return heap_.size();
    }

private:
    struct entry {
        clock::time_point at;
        std::uint64_t seq;  // equal deadlines fire in the order they were scheduled
        callback fn;
        bool background = false;
        bool operator>(const entry& other) const { return at != other.at ? at > other.at : seq > other.seq; }
    };

    void loop() {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            if (heap_.empty()) {
                cv_.wait(lock);
                continue;
            }
            const clock::time_point due = heap_.top().at;
            if (due <= clock_->now()) {
                callback fn = std::move(const_cast<entry&>(heap_.top()).fn);
                if (!heap_.top().background) --foreground_;
                heap_.pop();
                lock.unlock();
                fn();
                lock.lock();
            } else {
                clock_->wait_until(lock, cv_, due);
            }
        }
    }

    std::shared_ptr<clock> clock_;
    std::uint64_t listener_ = 0;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::priority_queue<entry, std::vector<entry>, std::greater<>> heap_;
    std::uint64_t next_seq_ = 0;
    std::size_t foreground_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace taskkit::detail
