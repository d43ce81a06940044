/// @file impl/clock.ipp
/// The definitions of what <taskkit/clock.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/clock.hpp>

namespace taskkit {

TASKKIT_DECL auto real_clock::now() const -> time_point { return std::chrono::system_clock::now(); }

TASKKIT_DECL auto real_clock::wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                                         time_point deadline) -> void {
    // Waiting on a steady deadline keeps a wall-clock jump from stalling the wait.
    const auto remaining = deadline - std::chrono::system_clock::now();
    if (remaining <= duration::zero()) return;
    // A far deadline (a delay of years) is waited for a day at a time: the condition variable
    // adds the wait to its own clock's now, which would overflow near time_point::max().
    cv.wait_for(lock, std::min<duration>(remaining, std::chrono::hours(24)));
}

TASKKIT_DECL virtual_clock::virtual_clock(time_point start) : now_(start) {}

TASKKIT_DECL auto virtual_clock::now() const -> time_point {
    std::lock_guard lock(mutex_);
    return now_;
}

TASKKIT_DECL auto virtual_clock::wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                                            time_point deadline) -> void {
    if (now() >= deadline) return;
    cv.wait(lock);  // woken by a listener when the clock advances
}

TASKKIT_DECL auto virtual_clock::set(time_point to) -> void {
    std::lock_guard calling(calling_mutex_);  // remove_listener waits for calls under way
    std::vector<std::function<void()>*> listeners;
    {
        std::lock_guard lock(mutex_);
        if (to > now_) now_ = to;
        for (auto& entry : listeners_) listeners.push_back(&entry.second);
    }
    for (auto* listener : listeners) (*listener)();
}

TASKKIT_DECL auto virtual_clock::add_listener(std::function<void()> listener) -> std::uint64_t {
    std::lock_guard calling(calling_mutex_);
    std::lock_guard lock(mutex_);
    listeners_.emplace_back(++next_token_, std::move(listener));
    return next_token_;
}

TASKKIT_DECL auto virtual_clock::remove_listener(std::uint64_t token) -> void {
    std::lock_guard calling(calling_mutex_);
    std::lock_guard lock(mutex_);
    std::erase_if(listeners_, [&](const auto& entry) { return entry.first == token; });
}

}  // namespace taskkit
