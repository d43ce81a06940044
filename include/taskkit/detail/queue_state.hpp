/// @file detail/queue_state.hpp
/// A queue inside one runtime: per-key copies, fair rotation between keys, priority order,
/// sliding-window rate limits. Guarded by the runtime's scheduler mutex. Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include <taskkit/detail/digest_index.hpp>
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
    explicit rate_window(const rate_limit& r);

    /// When the next start is allowed (now or earlier when a start is allowed at once).
    [[nodiscard]] time_point next_allowed() const;
    [[nodiscard]] bool allows(time_point now) const { return next_allowed() <= now; }
    /// True when no start falls in the window ending at `now`: forgetting this limiter loses nothing.
    [[nodiscard]] bool quiet(time_point now) const;

    void record(time_point now);

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
/// The FIFO's first two runs sit inline: most keys hold a run or two, and a key with many keys
/// beside it then costs no second cache miss (the vector's buffer) per trigger.
class pending_queue {
public:
    [[nodiscard]] bool empty() const noexcept;
    [[nodiscard]] std::size_t size() const noexcept;
    void push(pending_entry entry);
    [[nodiscard]] const pending_entry& top() const;
    void pop();

private:
    [[nodiscard]] bool spill_empty() const noexcept { return head_ == spill_.size(); }
    [[nodiscard]] bool fifo_empty() const noexcept { return near_size_ == 0 && spill_empty(); }
    [[nodiscard]] const pending_entry& fifo_front() const;
    [[nodiscard]] const pending_entry& fifo_back() const;
    [[nodiscard]] bool from_heap() const;
    void pop_fifo();

    // FIFO order: near_ (oldest first, from near_head_), then spill_ from head_. A run goes to
    // near_ only while spill_ is empty, so everything in near_ is older than anything in spill_.
    // spill_ is a vector read from its head: an idle key's queue allocates nothing (a std::deque
    // allocates even when empty, which 100,000 keys would feel).
    // The fields a trigger reads come first, so they share cache lines with the key's counters.
    std::uint8_t near_head_ = 0;
    std::uint8_t near_size_ = 0;
    std::size_t head_ = 0;
    std::vector<pending_entry> spill_;
    std::array<pending_entry, 2> near_;
    std::priority_queue<pending_entry, std::vector<pending_entry>, std::greater<>> heap_;
};

/// One concurrency key's copy of a queue (the empty key for runs without one).
struct key_state {
    // Ordered so that a trigger onto a cold key (one of 100,000) touches few cache lines:
    // counters and flags, then the key it compares, then the pending runs.
    queue_state* queue = nullptr;
    int running = 0;
    int resumers_waiting = 0;  ///< waiting runs that want their slot back go first
    bool in_rotation = false;
    bool rate_timer_armed = false;
    std::string key;
    pending_queue pending;
    std::unique_ptr<rate_window> rate;  ///< with a per-key rate limit only (most keys have none)
};

struct queue_state {
    std::string name;
    /// Per key (the whole queue when no keys are used); 0 = unbounded. Written under the scheduler
    /// lock (queue_controls::set_concurrency); atomic because a starting attempt reads it without
    /// that lock for its run_context (queue_info).
    std::atomic<int> limit{0};
    int total_limit = 0;  ///< across keys; 0 = no cap
    int running = 0;
    int declared_limit = 0;  ///< `limit` as declared (set_queue_limit may override it)
    bool limit_overridden = false;
    bool paused = false;  ///< no run starts from it (a paused queue never enters the ready list)
    std::optional<rate_limit> key_rate;
    std::optional<rate_window> rate;
    bool rate_timer_armed = false;
    digest_index<key_state> keys;     ///< by string_hash of the key; a key_state never moves
    key_state* plain_key = nullptr;   ///< the empty key's state (runs without a key), never forgotten
    std::deque<key_state*> rotation;  ///< keys that could start a run now, in fair round-robin order
    bool in_ready = false;

    explicit queue_state(const queue_options& options);

    /// The state of key `k`, created on first use.
    key_state& key(std::string_view k);
    /// Forgets an idle key (its state is destroyed).
    void forget(const key_state& k);

    [[nodiscard]] bool key_has_slot(const key_state& k) const noexcept;
    [[nodiscard]] bool total_has_slot() const noexcept;
    /// Whether a resuming run of key `k` may take a slot now.
    [[nodiscard]] bool can_resume(const key_state& k) const noexcept;
};

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/queue_state.ipp>
#endif
