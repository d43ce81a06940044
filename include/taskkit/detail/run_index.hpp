/// @file detail/run_index.hpp
/// The in-memory store's index of runs by id: an open-addressing hash table keyed by a 64-bit
/// digest of the id, so adding, finding and forgetting a run touch one contiguous slot run
/// instead of a node, a bucket and the id's characters. Not for users.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace taskkit::detail {

/// The 64-bit digest of a run id that indexes it (two ids may share one: lookups compare ids).
[[nodiscard]] inline std::uint64_t run_id_digest(std::string_view id) noexcept {
    return std::hash<std::string_view>{}(id);
}

/// Linear probing with backward-shift deletion (no tombstones); grows at 3/4 full. Several
/// entries may share a digest. Not thread-safe: the store guards it.
template <class T>
class run_index {
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
        if (slots_.empty()) return nullptr;
        for (std::size_t i = home(digest); slots_[i].value; i = next(i))
            if (slots_[i].digest == digest && matches(*slots_[i].value)) return &slots_[i].value;
        return nullptr;
    }

    /// Removes the entry holding exactly `value` (compared by address). False when absent.
    bool erase(std::uint64_t digest, const T* value) {
        if (slots_.empty()) return false;
        std::size_t hole = home(digest);
        while (slots_[hole].value && !(slots_[hole].digest == digest && slots_[hole].value.get() == value))
            hole = next(hole);
        if (!slots_[hole].value) return false;
        // Backward shift: move later entries of the probe chain into the hole when their home
        // position allows it, so lookups never need tombstones.
        for (std::size_t j = next(hole); slots_[j].value; j = next(j)) {
            const std::size_t h = home(slots_[j].digest);
            const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
            if (stays) continue;
            slots_[hole] = std::move(slots_[j]);
            hole = j;
        }
        slots_[hole] = slot{};
        --size_;
        return true;
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

    [[nodiscard]] std::size_t home(std::uint64_t digest) const noexcept {
        return static_cast<std::size_t>(digest) & (slots_.size() - 1);
    }
    [[nodiscard]] std::size_t next(std::size_t i) const noexcept { return (i + 1) & (slots_.size() - 1); }

    void place(slot s) {
        std::size_t i = home(s.digest);
        while (slots_[i].value) i = next(i);
        slots_[i] = std::move(s);
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
