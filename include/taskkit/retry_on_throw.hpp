/// @file retry_on_throw.hpp
/// taskkit::retry::on_throw: retry a block of code inside a run, with the run's backoff formula.
#pragma once

#include <chrono>
#include <exception>
#include <thread>
#include <type_traits>
#include <utility>

#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/detail/time_math.hpp>
#include <taskkit/error.hpp>
#include <taskkit/retry.hpp>

namespace taskkit::retry {

/// Calls `fn` until it returns, at most `options.max_attempts` times, waiting the delays of
/// the retry formula in between; returns what `fn` returns, or rethrows its last exception.
/// An abort_run passes straight through (no retry). Inside a run, the waits follow the
/// runtime's clock, give up the run's queue slot, and end early with canceled_error when the
/// run is canceled or times out; outside a run they sleep in real time.
/// @code
/// auto page = taskkit::retry::on_throw([&] { return fetch(url); }, {.max_attempts = 5, .min_timeout = 200ms});
/// @endcode
template <class F>
auto on_throw(F&& fn, const retry_options& options = {}) -> std::invoke_result_t<F&> {
    options.validate();
    detail::exec_frame* frame = detail::current_frame;
    auto random01 = [&] { return frame ? frame->core->random01() : detail::thread_random01(); };
    for (int attempt = 1;; ++attempt) {
        if (frame && frame->run->stop.stop_requested())
            throw canceled_error("the run was stopped during retry::on_throw");
        try {
            return fn();
        } catch (const abort_run&) {
            throw;
        } catch (...) {
            const auto delay = retry_delay(options, attempt, options.randomize ? random01() : 0.0);
            if (!delay) throw;
            if (frame) {
                if (!frame->core->sleep_until(*frame->run, detail::saturating_add(frame->core->now(), *delay)))
                    throw canceled_error("the run was stopped while retry::on_throw waited");
            } else {
                std::this_thread::sleep_for(*delay);
            }
        }
    }
}

}  // namespace taskkit::retry
