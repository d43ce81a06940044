/// @file detail/queue_state.hpp
/// A queue inside one runtime: per-key copies, fair rotation between keys, priority order,
/// sliding-window rate limits. Guarded by the runtime's scheduler mutex. Not for users.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <taskkit/queue_options.hpp>
#include <taskkit/run_record.hpp>

namespace taskkit::detail {

struct run_state;
struct queue_state;

/// Hashes std::string and std::string_view alike, so maps keyed by strings can be searched by
/// view without allocating (with std::equal_to<>).
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// At most `limit` starts in any window of `period`: the last `limit` start times are kept.
class rate_window {
public:
    explicit rate_window(const rate_limit& r) : limit_(static_cast<std::size_t>(r.limit)), period_(r.period) {}

    /// When the next start is allowed (now or earlier when a start is allowed at once).
    [[nodiscard]] time_point next_allowed() const {
        if (starts_.size() < limit_) return time_point::min();
        return starts_.front() + period_;
    }
    [[nodiscard]] bool allows(time_point now) const { return next_allowed() <= now; }
    /// True when no start falls in the window ending at `now`: forgetting this limiter loses nothing.
    [[nodiscard]] bool quiet(time_point now) const { return starts_.empty() || starts_.back() + period_ <= now; }

    void record(time_point now) {
        starts_.push_back(now);
        if (starts_.size() > limit_) starts_.pop_front();
    }

private:
    std::size_t limit_;
    std::chrono::milliseconds period_;
    std::deque<time_point> starts_;
};

/// A queued run waiting in a key: ordered by rank (trigger time minus priority), then FIFO.
struct pending_entry {
    time_point rank;
    std::uint64_t token;  ///< must equal the run's queue_token, or the entry is stale
    std::shared_ptr<run_state> run;
    bool operator>(const pending_entry& other) const {
        return rank != other.rank ? rank > other.rank : token > other.token;
    }
};

/// A key's queued runs in start order. Runs mostly arrive in order (rank is the trigger time
/// minus priority), so those go to a FIFO in O(1); a run that jumps ahead (a priority, a
/// delayed run released late) goes to a heap. The front is the smaller of the two heads.
class pending_queue {
public:
    [[nodiscard]] bool empty() const noexcept { return fifo_empty() && heap_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return (fifo_.size() - head_) + heap_.size(); }

    void push(pending_entry entry) {
        if (fifo_empty() || !(fifo_.back() > entry)) {
            fifo_.push_back(std::move(entry));
        } else {
            heap_.push(std::move(entry));
        }
    }
    [[nodiscard]] const pending_entry& top() const { return from_heap() ? heap_.top() : fifo_[head_]; }
    void pop() {
        if (from_heap()) {
            heap_.pop();
        } else {
            pop_fifo();
        }
    }

private:
    // The FIFO is a vector read from `head_`: an idle key's queue allocates nothing (a
    // std::deque allocates even when empty, which 100,000 keys would feel).
    [[nodiscard]] bool fifo_empty() const noexcept { return head_ == fifo_.size(); }
    [[nodiscard]] bool from_heap() const { return fifo_empty() || (!heap_.empty() && fifo_[head_] > heap_.top()); }
    void pop_fifo() {
        fifo_[head_] = pending_entry{};  // drop the run now
        ++head_;
        if (fifo_empty()) {
            fifo_.clear();
            head_ = 0;
            if (fifo_.capacity() > 1024) fifo_.shrink_to_fit();
        } else if (head_ >= 1024 && head_ * 2 >= fifo_.size()) {
            fifo_.erase(fifo_.begin(), fifo_.begin() + static_cast<std::ptrdiff_t>(head_));  // amortized O(1)
            head_ = 0;
        }
    }

    std::vector<pending_entry> fifo_;
    std::size_t head_ = 0;
    std::priority_queue<pending_entry, std::vector<pending_entry>, std::greater<>> heap_;
};

/// One concurrency key's copy of a queue (the empty key for runs without one).
struct key_state {
    std::string key;
    queue_state* queue = nullptr;
    int running = 0;
    int resumers_waiting = 0;  ///< waiting runs that want their slot back go first
    pending_queue pending;
    std::optional<rate_window> rate;
    bool in_rotation = false;
    bool rate_timer_armed = false;
};

struct queue_state {
    std::string name;
    int limit = 0;        ///< per key (the whole queue when no keys are used); 0 = unbounded
    int total_limit = 0;  ///< across keys; 0 = no cap
    int running = 0;
    std::optional<rate_limit> key_rate;
    std::optional<rate_window> rate;
    bool rate_timer_armed = false;
    std::unordered_map<std::string, key_state, string_hash, std::equal_to<>> keys;  ///< nodes never move
    std::deque<key_state*> rotation;  ///< keys that could start a run now, in fair round-robin order
    bool in_ready = false;

    explicit queue_state(const queue_options& options)
        : name(options.name),
          limit(options.concurrency_limit),
          total_limit(options.total_concurrency_limit),
          key_rate(options.key_rate_limit) {
        if (options.rate_limit) rate.emplace(*options.rate_limit);
    }

    key_state& key(std::string_view k) {
        auto it = keys.find(k);
        if (it != keys.end()) return it->second;
        key_state& slot = keys.try_emplace(std::string(k)).first->second;
        slot.key = std::string(k);
        slot.queue = this;
        if (key_rate) slot.rate.emplace(*key_rate);
        return slot;
    }

    [[nodiscard]] bool key_has_slot(const key_state& k) const noexcept { return limit == 0 || k.running < limit; }
    [[nodiscard]] bool total_has_slot() const noexcept { return total_limit == 0 || running < total_limit; }
    /// Whether a resuming run of key `k` may take a slot now.
    [[nodiscard]] bool can_resume(const key_state& k) const noexcept { return key_has_slot(k) && total_has_slot(); }
};

}  // namespace taskkit::detail
