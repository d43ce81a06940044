/// @file wait.hpp
/// Waiting on several runs at once: all of them, or the first to finish.
#pragma once

#include <taskkit/detail/config.hpp>

#include <chrono>
#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/detail/time_math.hpp>
#include <taskkit/run_handle.hpp>

namespace taskkit {

namespace detail {

template <class... Handles>
std::vector<std::shared_ptr<run_state>> states_of(const Handles&... handles) {
    std::vector<std::shared_ptr<run_state>> states;
    states.reserve(sizeof...(handles));
    (states.push_back(handles.state_ptr()), ...);
    return states;
}

template <class R>
std::vector<std::shared_ptr<run_state>> states_of_vector(const std::vector<run_handle<R>>& handles) {
    std::vector<std::shared_ptr<run_state>> states;
    states.reserve(handles.size());
    for (const auto& h : handles) states.push_back(h.state_ptr());
    return states;
}

/// Waits on `states` through the runtime of the first one that still has a runtime (inside a
/// run, the waiting run gives up its slot meanwhile).
bool wait_states(const std::vector<std::shared_ptr<run_state>>& states, wait_mode mode,
                 std::optional<std::chrono::steady_clock::time_point> deadline);

/// The index of the run that finished first among those that have finished.
std::optional<std::size_t> first_finished(const std::vector<std::shared_ptr<run_state>>& states);

}  // namespace detail

/// Blocks until every run has ended. Inside a run, the waiting run holds no queue slot or
/// machine meanwhile, and awaited runs that can start at once run on the waiting thread.
/// @code
/// auto a = resize.trigger({.size = 64});
/// auto b = resize.trigger({.size = 128});
/// taskkit::wait_all(a, b);
/// @endcode
template <class... Handles>
void wait_all(const Handles&... handles) {
    detail::wait_states(detail::states_of(handles...), detail::wait_mode::all, std::nullopt);
}

/// wait_all over a vector of handles.
template <class R>
void wait_all(const std::vector<run_handle<R>>& handles) {
    detail::wait_states(detail::states_of_vector(handles), detail::wait_mode::all, std::nullopt);
}

/// Like wait_all, giving up after `timeout` (real time); true when every run has ended.
template <class Rep, class Period, class R>
bool wait_all_for(std::chrono::duration<Rep, Period> timeout, const std::vector<run_handle<R>>& handles) {
    return detail::wait_states(detail::states_of_vector(handles), detail::wait_mode::all,
                               detail::deadline_after(timeout));
}

/// Blocks until one of the runs has ended and returns the index of the first to finish; the
/// others keep running. Trigger.dev forbids parallel waits; taskkit does not.
/// @code
/// auto fast = mirror_a.trigger(req);
/// auto slow = mirror_b.trigger(req);
/// const std::size_t winner = taskkit::wait_any(fast, slow);
/// @endcode
template <class... Handles>
std::size_t wait_any(const Handles&... handles) {
    const auto states = detail::states_of(handles...);
    if (states.empty()) throw state_error("wait_any needs at least one run_handle");
    detail::wait_states(states, detail::wait_mode::any, std::nullopt);
    return *detail::first_finished(states);
}

/// wait_any over a vector of handles.
template <class R>
std::size_t wait_any(const std::vector<run_handle<R>>& handles) {
    const auto states = detail::states_of_vector(handles);
    if (states.empty()) throw state_error("wait_any needs at least one run_handle");
    detail::wait_states(states, detail::wait_mode::any, std::nullopt);
    return *detail::first_finished(states);
}

/// Like wait_any, giving up after `timeout` (real time): nullopt when none has ended by then.
template <class Rep, class Period, class R>
std::optional<std::size_t> wait_any_for(std::chrono::duration<Rep, Period> timeout,
                                        const std::vector<run_handle<R>>& handles) {
    const auto states = detail::states_of_vector(handles);
    if (states.empty()) throw state_error("wait_any_for needs at least one run_handle");
    detail::wait_states(states, detail::wait_mode::any, detail::deadline_after(timeout));
    return detail::first_finished(states);
}

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/wait.ipp>
#endif
