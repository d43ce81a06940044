/// @file run_store.hpp
/// Where a runtime keeps its runs. In memory by default; durable stores fit the same seam.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

#include <taskkit/detail/run_index.hpp>
#include <taskkit/detail/run_state.hpp>
#include <taskkit/error.hpp>
#include <taskkit/run_filter.hpp>

namespace taskkit {

/// The seam between the runtime and the storage of runs. The runtime calls `add` when a run is
/// created and `changed` after every status change; a durable store persists `run.snapshot()`
/// there. `find` and `for_each` serve the runs API.
class run_store {
public:
    virtual ~run_store() = default;

    /// A run was created.
    virtual void add(const std::shared_ptr<detail::run_state>& run) = 0;
    /// A run changed status to `status` (called after the change, in order for each run).
    virtual void changed(const std::shared_ptr<detail::run_state>& run, run_status status) = 0;
    /// The run with this id, or null.
    [[nodiscard]] virtual std::shared_ptr<detail::run_state> find(std::string_view id) const = 0;
    /// Calls `visit` for every run the store holds (in no particular order).
    virtual void for_each(const std::function<void(const std::shared_ptr<detail::run_state>&)>& visit) const = 0;

    /// One page of the runs matching `filter`, newest first (by creation time, then id). A
    /// durable store answers this with a query; this default scans for_each.
    [[nodiscard]] virtual run_page list(const run_filter& filter) const {
        std::vector<std::shared_ptr<detail::run_state>> matched;
        for_each([&](const std::shared_ptr<detail::run_state>& run) {
            if (filter.matches(*run, run->current_status())) matched.push_back(run);
        });
        auto newer = [](const auto& a, const auto& b) {
            return a->created_at != b->created_at ? a->created_at > b->created_at : a->id > b->id;
        };
        std::sort(matched.begin(), matched.end(), newer);
        // The cursor is "<creation time in ns>:<id>" of the last run of the previous page, so
        // paging stays right when runs come and go between pages.
        auto it = matched.begin();
        if (!filter.cursor.empty()) {
            const auto colon = filter.cursor.find(':');
            long long when = 0;
            try {
                if (colon == std::string::npos) throw std::invalid_argument("no ':'");
                when = std::stoll(filter.cursor.substr(0, colon));
            } catch (const std::exception&) {
                throw options_error("run_filter.cursor '" + filter.cursor + "' is not a cursor returned by list()");
            }
            const std::string id = colon == std::string::npos ? filter.cursor : filter.cursor.substr(colon + 1);
            const auto at =
                time_point(std::chrono::duration_cast<time_point::duration>(std::chrono::nanoseconds(when)));
            it = std::find_if(matched.begin(), matched.end(), [&](const auto& run) {
                return run->created_at < at || (run->created_at == at && run->id < id);
            });
        }
        run_page page;
        const std::size_t limit = std::max<std::size_t>(1, filter.limit);
        for (; it != matched.end() && page.runs.size() < limit; ++it) page.runs.push_back((*it)->snapshot());
        if (it != matched.end() && !page.runs.empty()) {
            const auto& last = page.runs.back();
            page.next_cursor =
                std::to_string(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(last.created_at.time_since_epoch()).count()) +
                ":" + last.id;
        }
        return page;
    }
};

/// Keeps runs in memory: every unfinished run, and the most recent `retained_finished` finished
/// ones (older finished runs are forgotten; handles to them keep working).
class memory_run_store final : public run_store {
public:
    explicit memory_run_store(std::size_t retained_finished = 10'000) : retained_(retained_finished) {}

    void add(const std::shared_ptr<detail::run_state>& run) override {
        const auto digest = detail::run_id_digest(run->id);
        std::lock_guard lock(mutex_);
        runs_.insert(digest, run);
    }

    void changed(const std::shared_ptr<detail::run_state>& run, run_status status) override {
        if (!is_terminal(status)) return;
        const auto digest = detail::run_id_digest(run->id);
        std::lock_guard lock(mutex_);
        finished_.push_back(finished_entry{digest, run.get(), run->generation.load()});
        while (finished_.size() > retained_) {
            const auto oldest = finished_.front();
            finished_.pop_front();
            // The address is only compared, never followed: the index holds the live runs. A run
            // re-queued by retry() since (a new generation) is unfinished again, or finished later
            // with an entry of its own: it stays.
            const auto* held = runs_.find(oldest.digest, [&](const detail::run_state& r) { return &r == oldest.run; });
            if (held && (*held)->generation.load() == oldest.generation && (*held)->ended.load())
                runs_.erase(oldest.digest, oldest.run);
        }
    }

    [[nodiscard]] std::shared_ptr<detail::run_state> find(std::string_view id) const override {
        const auto digest = detail::run_id_digest(id);
        std::lock_guard lock(mutex_);
        const auto* held = runs_.find(digest, [&](const detail::run_state& r) { return r.id == id; });
        return held ? *held : nullptr;
    }

    void for_each(const std::function<void(const std::shared_ptr<detail::run_state>&)>& visit) const override {
        std::vector<std::shared_ptr<detail::run_state>> all;
        {
            std::lock_guard lock(mutex_);
            all.reserve(runs_.size());
            runs_.for_each([&](const std::shared_ptr<detail::run_state>& run) { all.push_back(run); });
        }
        for (const auto& run : all) visit(run);
    }

    /// How many runs are held.
    [[nodiscard]] std::size_t size() const {
        std::lock_guard lock(mutex_);
        return runs_.size();
    }

private:
    std::size_t retained_;
    mutable std::mutex mutex_;
    struct finished_entry {
        std::uint64_t digest;
        const detail::run_state* run;
        std::uint64_t generation;
    };
    detail::run_index<detail::run_state> runs_;
    std::deque<finished_entry> finished_;  // in the order the runs finished (a retried run may appear twice)
};

}  // namespace taskkit
