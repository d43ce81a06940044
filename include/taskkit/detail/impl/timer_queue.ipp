/// @file detail/impl/timer_queue.ipp
/// The definitions of what <taskkit/detail/timer_queue.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/timer_queue.hpp>

namespace taskkit::detail {

TASKKIT_DECL timer_queue::timer_queue(std::shared_ptr<clock> time) : clock_(std::move(time)) {
    listener_ = clock_->add_listener([this] {
        std::lock_guard lock(mutex_);
        cv_.notify_all();
    });
}

TASKKIT_DECL timer_queue::~timer_queue() {
    stop();
    clock_->remove_listener(listener_);
}

TASKKIT_DECL auto timer_queue::set_run_timer_handler(run_timer_handler handler) -> void {
    run_timer_handler_ = std::move(handler);
}

TASKKIT_DECL auto timer_queue::schedule(clock::time_point at, callback fn, bool background) -> void {
    push(at, action(std::move(fn)), background);
}

TASKKIT_DECL auto timer_queue::schedule(clock::time_point at, run_timer timer) -> void {
    push(at, action(std::move(timer)), false);
}

TASKKIT_DECL auto timer_queue::foreground() const -> std::size_t {
    std::lock_guard lock(mutex_);
    return foreground_;
}

TASKKIT_DECL auto timer_queue::start_thread() -> void {
    thread_ = std::thread([this] { loop(); });
}

TASKKIT_DECL auto timer_queue::stop() -> void {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
}

TASKKIT_DECL auto timer_queue::next_deadline() const -> std::optional<clock::time_point> {
    std::lock_guard lock(mutex_);
    if (heap_.empty()) return std::nullopt;
    return heap_.top().at;
}

TASKKIT_DECL auto timer_queue::fire_due() -> std::size_t {
    std::size_t fired = 0;
    std::unique_lock lock(mutex_);
    while (!heap_.empty() && heap_.top().at <= clock_->now()) {
        action due = take_top_locked();
        lock.unlock();
        run(due);
        ++fired;
        lock.lock();
    }
    return fired;
}

TASKKIT_DECL auto timer_queue::size() const -> std::size_t {
    std::lock_guard lock(mutex_);
    return heap_.size();
}

TASKKIT_DECL auto timer_queue::push(clock::time_point at, action what, bool background) -> void {
    std::lock_guard lock(mutex_);
    const bool earliest = heap_.empty() || at < heap_.top().at;
    heap_.push(entry{at, next_seq_++ | (background ? background_bit : 0), std::move(what)});
    if (!background) ++foreground_;
    if (earliest) cv_.notify_all();
}

TASKKIT_DECL auto timer_queue::take_top_locked() -> action {
    action due = std::move(const_cast<entry&>(heap_.top()).what);
    if (!heap_.top().background()) --foreground_;
    heap_.pop();
    return due;
}

TASKKIT_DECL auto timer_queue::run(action& due) -> void {
    // A callback's exception must not end the timer thread (and with it every delay and retry).
    try {
        if (auto* fn = std::get_if<callback>(&due)) {
            (*fn)();
        } else if (run_timer_handler_) {
            run_timer_handler_(std::get<run_timer>(due));
        }
    } catch (...) {
    }
}

TASKKIT_DECL auto timer_queue::loop() -> void {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (heap_.empty()) {
            cv_.wait(lock);
            continue;
        }
        const clock::time_point due = heap_.top().at;
        if (due <= clock_->now()) {
            action next = take_top_locked();
            lock.unlock();
            run(next);
            lock.lock();
        } else {
            clock_->wait_until(lock, cv_, due);
        }
    }
}

}  // namespace taskkit::detail
