/// @file run_store.hpp
/// Where a runtime keeps its runs. In memory by default; durable stores fit the same seam.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

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
    /// A run changed status (its new status is `run.current_status()`).
    virtual void changed(const std::shared_ptr<detail::run_state>& run) = 0;
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
    explicit memory_run_store(std::size_t retained_finished = 100'000) : retained_(retained_finished) {}

    void add(const std::shared_ptr<detail::run_state>& run) override {
        std::lock_guard lock(mutex_);
        runs_.emplace(run->id, run);  // the key views the run's own id, which never changes
    }

    void changed(const std::shared_ptr<detail::run_state>& run) override {
        if (!is_terminal(run->current_status())) return;
        std::lock_guard lock(mutex_);
        finished_.push_back(run);
        while (finished_.size() > retained_) {
            if (auto oldest = finished_.front().lock()) {
                auto it = runs_.find(oldest->id);
                // A run re-queued by retry() is unfinished again: keep it.
                if (it != runs_.end() && it->second == oldest && is_terminal(oldest->current_status())) runs_.erase(it);
            }
            finished_.pop_front();
        }
    }

    [[nodiscard]] std::shared_ptr<detail::run_state> find(std::string_view id) const override {
        std::lock_guard lock(mutex_);
        auto it = runs_.find(id);
        return it == runs_.end() ? nullptr : it->second;
    }

    void for_each(const std::function<void(const std::shared_ptr<detail::run_state>&)>& visit) const override {
        std::vector<std::shared_ptr<detail::run_state>> all;
        {
            std::lock_guard lock(mutex_);
            all.reserve(runs_.size());
            for (const auto& entry : runs_) all.push_back(entry.second);
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
    std::unordered_map<std::string_view, std::shared_ptr<detail::run_state>> runs_;
    std::deque<std::weak_ptr<detail::run_state>> finished_;
};

}  // namespace taskkit
