/// @file impl/run_store.ipp
/// The definitions of what <taskkit/run_store.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/run_store.hpp>

namespace taskkit {

TASKKIT_DECL auto run_store::list(const run_filter& filter) const -> run_page {
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
        const auto at = time_point(std::chrono::duration_cast<time_point::duration>(std::chrono::nanoseconds(when)));
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

TASKKIT_DECL memory_run_store::memory_run_store(std::size_t retained_finished) : retained_(retained_finished) {}

TASKKIT_DECL auto memory_run_store::add(const std::shared_ptr<detail::run_state>& run) -> void {
    const auto digest = detail::run_id_digest(run->id);
    std::lock_guard lock(mutex_);
    runs_.insert(digest, run);
}

TASKKIT_DECL auto memory_run_store::changed(const std::shared_ptr<detail::run_state>& run, run_status status) -> void {
    if (!is_terminal(status)) return;
    const auto digest = detail::run_id_digest(run->id);
    std::shared_ptr<detail::run_state> forgotten;  // released after unlocking: it may be the last reference
    std::lock_guard lock(mutex_);
    finished_.push_back(finished_entry{digest, run.get(), run->generation.load()});
    if (finished_.size() <= retained_) return;
    const auto oldest = finished_.front();
    finished_.pop_front();
    // The address is only compared before it is followed: the index holds the live runs. A run
    // re-queued by retry() since (a new generation) is unfinished again, or finished later with
    // an entry of its own: it stays.
    forgotten = runs_.take(oldest.digest, [&](const detail::run_state& held) {
        return &held == oldest.run && held.generation.load() == oldest.generation && held.ended.load();
    });
}

TASKKIT_DECL auto memory_run_store::find(std::string_view id) const -> std::shared_ptr<detail::run_state> {
    const auto digest = detail::run_id_digest(id);
    std::lock_guard lock(mutex_);
    const auto* held = runs_.find(digest, [&](const detail::run_state& r) { return r.id == id; });
    return held ? *held : nullptr;
}

TASKKIT_DECL auto memory_run_store::for_each(
    const std::function<void(const std::shared_ptr<detail::run_state>&)>& visit) const -> void {
    std::vector<std::shared_ptr<detail::run_state>> all;
    {
        std::lock_guard lock(mutex_);
        all.reserve(runs_.size());
        runs_.for_each([&](const std::shared_ptr<detail::run_state>& run) { all.push_back(run); });
    }
    for (const auto& run : all) visit(run);
}

TASKKIT_DECL auto memory_run_store::size() const -> std::size_t {
    std::lock_guard lock(mutex_);
    return runs_.size();
}

}  // namespace taskkit
