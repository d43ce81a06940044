/// @file detail/impl/queue_state.ipp
/// The definitions of what <taskkit/detail/queue_state.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/queue_state.hpp>

namespace taskkit::detail {

TASKKIT_DECL rate_window::rate_window(const rate_limit& r)
    : limit_(static_cast<std::size_t>(r.limit)), period_(r.period) {}

TASKKIT_DECL auto rate_window::next_allowed() const -> time_point {
    if (starts_.size() < limit_) return time_point::min();
    return starts_.front() + period_;
}

TASKKIT_DECL auto rate_window::quiet(time_point now) const -> bool {
    return starts_.empty() || starts_.back() + period_ <= now;
}

TASKKIT_DECL auto rate_window::record(time_point now) -> void {
    starts_.push_back(now);
    if (starts_.size() > limit_) starts_.pop_front();
}

TASKKIT_DECL auto pending_queue::empty() const noexcept -> bool { return fifo_empty() && heap_.empty(); }

TASKKIT_DECL auto pending_queue::size() const noexcept -> std::size_t {
    return near_size_ + (spill_.size() - head_) + heap_.size();
}

TASKKIT_DECL auto pending_queue::push(pending_entry entry) -> void {
    if (!fifo_empty() && fifo_back() > entry) {
        heap_.push(std::move(entry));  // jumps ahead of the FIFO's last run
    } else if (spill_empty() && near_size_ < near_.size()) {
        near_[(near_head_ + near_size_) % near_.size()] = std::move(entry);
        ++near_size_;
    } else {
        spill_.push_back(std::move(entry));
    }
}

TASKKIT_DECL auto pending_queue::top() const -> const pending_entry& {
    return from_heap() ? heap_.top() : fifo_front();
}

TASKKIT_DECL auto pending_queue::pop() -> void {
    if (from_heap()) {
        heap_.pop();
    } else {
        pop_fifo();
    }
}

TASKKIT_DECL auto pending_queue::fifo_front() const -> const pending_entry& {
    return near_size_ > 0 ? near_[near_head_] : spill_[head_];
}

TASKKIT_DECL auto pending_queue::fifo_back() const -> const pending_entry& {
    return !spill_empty() ? spill_.back() : near_[(near_head_ + near_size_ - 1) % near_.size()];
}

TASKKIT_DECL auto pending_queue::from_heap() const -> bool {
    return fifo_empty() || (!heap_.empty() && fifo_front() > heap_.top());
}

TASKKIT_DECL auto pending_queue::pop_fifo() -> void {
    if (near_size_ > 0) {
        near_[near_head_] = pending_entry{};  // drop the run now
        near_head_ = static_cast<std::uint8_t>((near_head_ + 1) % near_.size());
        if (--near_size_ == 0) near_head_ = 0;
        return;
    }
    spill_[head_] = pending_entry{};
    ++head_;
    if (spill_empty()) {
        spill_.clear();
        head_ = 0;
        if (spill_.capacity() > 1024) spill_.shrink_to_fit();
    } else if (head_ >= 1024 && head_ * 2 >= spill_.size()) {
        spill_.erase(spill_.begin(), spill_.begin() + static_cast<std::ptrdiff_t>(head_));  // amortized O(1)
        head_ = 0;
    }
}

TASKKIT_DECL queue_state::queue_state(const queue_options& options)
    : name(options.name),
      limit(options.concurrency_limit),
      total_limit(options.total_concurrency_limit),
      declared_limit(options.concurrency_limit),
      key_rate(options.key_rate_limit) {
    if (options.rate_limit) rate.emplace(*options.rate_limit);
}

TASKKIT_DECL auto queue_state::key(std::string_view k) -> key_state& {
    if (k.empty() && plain_key) return *plain_key;  // most runs: no hashing, no probing
    const std::uint64_t digest = string_hash{}(k);
    if (const auto* found = keys.find(digest, [&](const key_state& s) { return s.key == k; })) return **found;
    auto state = std::make_shared<key_state>();
    state->key = std::string(k);
    state->queue = this;
    if (key_rate) state->rate = std::make_unique<rate_window>(*key_rate);
    key_state& created = *state;
    keys.insert(digest, std::move(state));
    if (k.empty()) plain_key = &created;
    return created;
}

TASKKIT_DECL auto queue_state::forget(const key_state& k) -> void {
    if (&k == plain_key) plain_key = nullptr;
    keys.erase(string_hash{}(k.key), &k);
}

TASKKIT_DECL auto queue_state::key_has_slot(const key_state& k) const noexcept -> bool {
    const int in_force = limit.load(std::memory_order_relaxed);  // written under the same lock as this read
    return in_force == 0 || k.running < in_force;
}

TASKKIT_DECL auto queue_state::total_has_slot() const noexcept -> bool {
    return total_limit == 0 || running < total_limit;
}

TASKKIT_DECL auto queue_state::can_resume(const key_state& k) const noexcept -> bool {
    return key_has_slot(k) && total_has_slot();
}

}  // namespace taskkit::detail
