/// @file detail/digest_index.hpp
/// An open-addressing hash table of shared values keyed by a 64-bit digest: adding, finding and
/// forgetting touch one contiguous run of slots instead of a bucket, a node and the key's
/// characters. Indexes runs by id (the memory store) and concurrency keys (a queue). Not for users.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace taskkit::detail {

/// Values found by a 64-bit digest of their key (several values may share one: a lookup also
/// matches the value itself). Linear probing in Robin Hood order (an entry never sits further
/// from its home slot than the entry it passed), with backward-shift deletion and no tombstones;
/// grows at 3/4 full. Values live in their own allocations and never move. The order matters for
/// run ids, whose digests are consecutive: lookups and deletions stop at the first entry that is
/// at its home slot instead of walking a cluster that can span the whole table. Not thread-safe:
/// its owner guards it.
template <class T>
class digest_index {
public:
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    void insert(std::uint64_t digest, std::shared_ptr<T> value) {
        if ((size_ + 1) * 4 > slots_.size() * 3) grow();
        place(slot{digest, std::move(value)});
        ++size_;
    }

    /// The first entry with this digest that `matches`, or null.
    template <class Match>
    [[nodiscard]] const std::shared_ptr<T>* find(std::uint64_t digest, Match&& matches) const {
        const auto i = locate(digest, [&](const slot& s) { return matches(*s.value); });
        return i ? &slots_[*i].value : nullptr;
    }

    /// Removes the first entry with this digest that `matches` and hands its value back (so the
    /// caller can release it after unlocking the table). Null when absent.
    template <class Match>
    std::shared_ptr<T> take(std::uint64_t digest, Match&& matches) {
        const auto found = locate(digest, [&](const slot& s) { return matches(*s.value); });
        if (!found) return nullptr;
        std::size_t hole = *found;
        std::shared_ptr<T> taken = std::move(slots_[hole].value);
        for (std::size_t j = next(hole); slots_[j].value && distance(j) > 0; j = next(j)) {
            slots_[hole] = std::move(slots_[j]);  // one step closer to its home
            hole = j;
        }
        slots_[hole] = slot{};
        --size_;
        return taken;
    }

    /// Removes the entry holding exactly `value` (compared by address). False when absent.
    bool erase(std::uint64_t digest, const T* value) {
        return take(digest, [&](const T& held) { return &held == value; }) != nullptr;
    }

    template <class Visit>
    void for_each(Visit&& visit) const {
        for (const auto& s : slots_)
            if (s.value) visit(s.value);
    }

private:
    struct slot {
        std::uint64_t digest = 0;
        std::shared_ptr<T> value;  // null: empty
    };

    [[nodiscard]] std::size_t mask() const noexcept { return slots_.size() - 1; }
    [[nodiscard]] std::size_t home(std::uint64_t digest) const noexcept {
        return static_cast<std::size_t>(digest) & mask();
    }
    [[nodiscard]] std::size_t next(std::size_t i) const noexcept { return (i + 1) & mask(); }
    /// How far the entry in slot i sits from its home slot.
    [[nodiscard]] std::size_t distance(std::size_t i) const noexcept { return (i - home(slots_[i].digest)) & mask(); }

    template <class Match>
    [[nodiscard]] std::optional<std::size_t> locate(std::uint64_t digest, Match&& matches) const {
        if (slots_.empty()) return std::nullopt;
        std::size_t i = home(digest);
        for (std::size_t d = 0; slots_[i].value && distance(i) >= d; ++d, i = next(i))
            if (slots_[i].digest == digest && matches(slots_[i])) return i;
        return std::nullopt;  // an empty slot, or an entry closer to home than ours would be
    }

    void place(slot s) {
        std::size_t i = home(s.digest);
        for (std::size_t d = 0;; ++d, i = next(i)) {
            if (!slots_[i].value) {
                slots_[i] = std::move(s);
                return;
            }
            if (const auto resident = distance(i); resident < d) {  // take the place of the nearer one
                std::swap(slots_[i], s);
                d = resident;
            }
        }
    }

    void grow() {
        std::vector<slot> old(slots_.empty() ? 16 : slots_.size() * 2);
        old.swap(slots_);
        for (auto& s : old)
            if (s.value) place(std::move(s));
    }

    std::vector<slot> slots_;
    std::size_t size_ = 0;
};

}  // namespace taskkit::detail
