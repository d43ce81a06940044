/// @file batch.hpp
/// Batches: many runs of one task triggered together, with one id.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/detail/task_definition.hpp>
#include <taskkit/result.hpp>
#include <taskkit/run_handle.hpp>
#include <taskkit/trigger_options.hpp>

namespace taskkit {

/// One item of a batch: a payload, with trigger options when it needs its own.
/// @code
/// send_email.batch_trigger({{.to = "a@x.org"}, {{.to = "b@x.org"}, {.delay = std::chrono::minutes(5)}}});
/// @endcode
template <class P>
struct batch_item {
    batch_item(P p) : payload(std::move(p)) {}  // NOLINT(google-explicit-constructor)
    batch_item(P p, trigger_options o) : payload(std::move(p)), options(std::move(o)) {}

    P payload;
    trigger_options options;
};

/// The runs of a batch, in the order of its items.
template <class R>
struct [[nodiscard]] batch_handle {
    std::string id;                   ///< "batch_…", also on each run's record (batch_id)
    std::vector<run_handle<R>> runs;  ///< one per item, in order
};

/// The outcomes of a batch, in the order of its items.
template <class R>
struct batch_result {
    std::string id;
    std::vector<taskkit::result<R>> results;

    /// True when every run completed.
    [[nodiscard]] bool ok() const {
        for (const auto& r : results)
            if (!r.ok()) return false;
        return true;
    }
};

namespace detail {

/// Triggers a batch: every item is checked first (payload and options), so a bad item starts
/// nothing; then every run is created, in order.
template <class P, class R>
batch_handle<R> trigger_batch(runtime_core& core, const std::shared_ptr<task_definition<P, R>>& definition,
                              std::vector<batch_item<P>> items) {
    batch_handle<R> batch;
    batch.id = core.next_batch_id();
    std::vector<std::shared_ptr<run_state>> runs;
    runs.reserve(items.size());
    for (auto& item : items) {
        auto run = definition->make_run(std::move(item.payload));
        run->extras().batch_id = batch.id;  // not yet published
        core.prepare(run, definition, item.options);
        runs.push_back(std::move(run));
    }
    batch.runs.reserve(runs.size());
    for (std::size_t i = 0; i < runs.size(); ++i) {
        auto answer = core.commit(runs[i], items[i].options);
        batch.runs.emplace_back(answer, answer != runs[i]);
    }
    return batch;
}

/// Waits for a batch and collects its outcomes in order.
template <class R>
batch_result<R> wait_batch(runtime_core& core, batch_handle<R> batch) {
    std::vector<std::shared_ptr<run_state>> states;
    states.reserve(batch.runs.size());
    for (const auto& h : batch.runs) states.push_back(h.state_ptr());
    core.wait(states, wait_mode::all, std::nullopt);
    batch_result<R> out;
    out.id = std::move(batch.id);
    out.results.reserve(batch.runs.size());
    for (const auto& h : batch.runs) out.results.push_back(h.result());
    return out;
}

}  // namespace detail

}  // namespace taskkit
