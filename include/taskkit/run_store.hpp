/// @file run_store.hpp
/// Where a runtime keeps its runs. In memory by default; durable stores fit the same seam.
#pragma once

#include <taskkit/detail/config.hpp>

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

#include <taskkit/detail/digest_index.hpp>
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
    [[nodiscard]] TASKKIT_DECL virtual run_page list(const run_filter& filter) const;
};

/// Keeps runs in memory: every unfinished run, and the most recent `retained_finished` finished
/// ones (older finished runs are forgotten; handles to them keep working).
class memory_run_store final : public run_store {
public:
    explicit memory_run_store(std::size_t retained_finished = 10'000);

    TASKKIT_DECL void add(const std::shared_ptr<detail::run_state>& run) override;

    TASKKIT_DECL void changed(const std::shared_ptr<detail::run_state>& run, run_status status) override;

    [[nodiscard]] TASKKIT_DECL std::shared_ptr<detail::run_state> find(std::string_view id) const override;

    TASKKIT_DECL void for_each(
        const std::function<void(const std::shared_ptr<detail::run_state>&)>& visit) const override;

    /// How many runs are held.
    [[nodiscard]] std::size_t size() const;

private:
    std::size_t retained_;
    mutable std::mutex mutex_;
    struct finished_entry {
        std::uint64_t digest;
        const detail::run_state* run;
        std::uint64_t generation;
    };
    detail::digest_index<detail::run_state> runs_;
    std::deque<finished_entry> finished_;  // in the order the runs finished (a retried run may appear twice)
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/run_store.ipp>
#endif
