/// @file batch.hpp
/// Batches: many runs of one task triggered together, with one id.
#pragma once

#include <concepts>
#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/detail/task_definition.hpp>
#include <taskkit/result.hpp>
#include <taskkit/run_handle.hpp>
#include <taskkit/trigger_options.hpp>

namespace taskkit {

/// One item of a batch: a payload, with trigger options when it needs its own.
///
/// A braced list of items puts each item in its own braces, `{payload}` or `{payload, options}`
/// (C++ lets designated initializers such as `{.size = 64}` initialize only an aggregate, and
/// batch_item is not one, so a bare `{.size = 64}` cannot be an item):
/// @code
/// send_email.batch_trigger({{{.to = "a@x.org"}}, {{.to = "b@x.org"}, {.delay = std::chrono::minutes(5)}}});
/// send_email.batch_trigger({email{.to = "a@x.org"}, {{.to = "b@x.org"}, {.tags = {"vip"}}}});  // type named
/// @endcode
template <class P>
struct batch_item {
    batch_item(P p) : payload(std::move(p)) {}  // NOLINT(google-explicit-constructor)
    batch_item(P p, trigger_options o) : payload(std::move(p)), options(std::move(o)) {}

    P payload;                ///< the run's payload
    trigger_options options;  ///< the run's options (idempotency key, delay, tags, priority…)
};

namespace detail {
/// A range in the sense of std::ranges::input_range, spelled with <iterator> alone.
template <class Items>
concept iterable = requires(Items& items) {
    { std::ranges::begin(items) } -> std::input_iterator;
    { std::ranges::end(items) } -> std::sentinel_for<decltype(std::ranges::begin(items))>;
};
template <class Items>
using batch_element_t = std::iter_reference_t<decltype(std::ranges::begin(std::declval<Items&>()))>;
/// An element of a batch range: something that converts to the payload, or a batch_item.
template <class E, class P>
concept batch_element = std::convertible_to<E, P> || std::convertible_to<E, batch_item<P>>;
}  // namespace detail

/// What `batch_trigger` accepts besides braced lists: any input range (a container, a span, a
/// view) whose elements convert to the payload type `P`, or are `batch_item<P>`.
template <class Items, class P>
concept batch_range = detail::iterable<Items> && detail::batch_element<detail::batch_element_t<Items>, P>;

/// The runs of a batch, in the order of its items.
/// @code
/// auto batch = resize.batch_trigger({{.size = 64}, {.size = 128}});
/// for (auto& run : batch.runs) fmt::print("{} {}\n", batch.id, run.id());
/// @endcode
template <class R>
struct [[nodiscard]] batch_handle {
    std::string id;                   ///< "batch_…", also on each run's record (batch_id)
    std::vector<run_handle<R>> runs;  ///< one per item, in order
};

/// The outcomes of a batch, in the order of its items; a range of `taskkit::result<R>`.
/// @code
/// auto results = resize.batch_trigger_and_wait({{.size = 64}, {.size = 128}});
/// if (!results.ok()) ...;                         // some run did not complete
/// for (const auto& r : results) use(r.unwrap());  // or results[0], results.results
/// @endcode
template <class R>
struct batch_result {
    using value_type = taskkit::result<R>;
    using iterator = typename std::vector<value_type>::iterator;
    using const_iterator = typename std::vector<value_type>::const_iterator;

    std::string id;                   ///< the batch's id ("batch_…")
    std::vector<value_type> results;  ///< one per item, in order

    /// True when every run completed (and for an empty batch).
    [[nodiscard]] bool ok() const {
        for (const auto& r : results)
            if (!r.ok()) return false;
        return true;
    }

    [[nodiscard]] iterator begin() noexcept { return results.begin(); }
    [[nodiscard]] iterator end() noexcept { return results.end(); }
    [[nodiscard]] const_iterator begin() const noexcept { return results.begin(); }
    [[nodiscard]] const_iterator end() const noexcept { return results.end(); }
    [[nodiscard]] std::size_t size() const noexcept { return results.size(); }
    [[nodiscard]] bool empty() const noexcept { return results.empty(); }
    /// The outcome of item `i` (unchecked, like a vector's).
    [[nodiscard]] const value_type& operator[](std::size_t i) const noexcept { return results[i]; }
};

namespace detail {

/// The items of a range of payloads or items. An rvalue std::vector of payloads is moved from;
/// any other range is copied (a view may refer to its caller's elements).
template <class P, class Items>
std::vector<batch_item<P>> to_batch_items(Items&& items) {
    std::vector<batch_item<P>> out;
    if constexpr (requires { std::ranges::size(items); })
        out.reserve(static_cast<std::size_t>(std::ranges::size(items)));
    for (auto&& element : items) {
        if constexpr (std::is_same_v<Items, std::vector<P>>) {
            out.emplace_back(std::move(element));
        } else {
            out.emplace_back(std::forward<decltype(element)>(element));
        }
    }
    return out;
}

/// Triggers a batch: every item is checked first (payload and options), so a bad item starts
/// nothing; then every run is created, in order, in one call to the backend (one transaction on
/// a database: all of the batch is committed, or none of it).
template <class P, class R>
batch_handle<R> trigger_batch(runtime_core& core, const std::shared_ptr<task_definition<P, R>>& definition,
                              std::vector<batch_item<P>> items) {
    batch_handle<R> batch;
    batch.id = core.next_batch_id();
    std::vector<std::shared_ptr<run_state>> runs;
    std::vector<trigger_options> options;
    runs.reserve(items.size());
    options.reserve(items.size());
    for (auto& item : items) {
        auto run = definition->make_run(std::move(item.payload));
        run->extras().batch_id = batch.id;  // not yet published
        core.prepare(run, definition, item.options);
        runs.push_back(std::move(run));
        options.push_back(std::move(item.options));  // prepare copied what the run keeps
    }
    auto answers = core.commit_batch(runs, options);
    batch.runs.reserve(runs.size());
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const bool cached = answers[i] != runs[i];
        batch.runs.emplace_back(std::move(answers[i]), cached);
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
