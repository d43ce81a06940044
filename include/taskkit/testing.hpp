/// @file testing.hpp
/// Unit-testing tasks directly: no threads, no real time, a full run record back.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <taskkit/clock.hpp>
#include <taskkit/logger.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/result.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/runtime.hpp>
#include <taskkit/task.hpp>
#include <taskkit/trigger_options.hpp>

namespace taskkit::testing {

/// Options of a test harness.
struct harness_options {
    /// Where time starts; the clock only moves when nothing is runnable (to the next timer) or
    /// when the test calls advance().
    time_point start = time_point(std::chrono::seconds(1767225600));  // 2026-01-01T00:00:00Z
    /// The retry jitter source: 0.0 makes randomized delays equal to their minimum.
    std::function<double()> random = [] { return 0.0; };
    /// The machine capacity of the runtime.
    machine capacity = machines::large_2x;
    /// Where task ids are looked up.
    taskkit::registry* registry = nullptr;
    /// Receives log lines (they are kept on the record either way). Default: none.
    log_sink sink = null_log_sink();
    /// Where the runs live. Default: the memory backend.
    std::shared_ptr<taskkit::backend> backend;
};

/// A runtime with no threads and a virtual clock: everything runs on the test's thread, in
/// order, while the test waits on a handle or calls run_until_idle(); retry delays, delays,
/// ttl and waits take no real time.
/// @code
/// taskkit::testing::harness h;
/// auto handle = h.runtime().trigger(my_task, {.n = 1});
/// auto record = h.finish(handle);   // drives the run to its end
/// CHECK(record.attempts.size() == 3);
/// @endcode
class harness {
public:
    explicit harness(harness_options options = {})
        : clock_(std::make_shared<virtual_clock>(options.start)), runtime_(make_options(clock_, std::move(options))) {}

    [[nodiscard]] taskkit::runtime& runtime() noexcept { return runtime_; }
    [[nodiscard]] virtual_clock& clock() noexcept { return *clock_; }

    /// Moves the clock forward, then runs whatever became due.
    void advance(clock::duration by) {
        runtime_.core()->run_ready();
        clock_->advance(by);
        runtime_.core()->run_ready();
    }

    /// Runs everything runnable, jumping the clock from timer to timer, until nothing is left.
    void run_until_idle() { runtime_.run_until_idle(); }

    /// Drives `handle`'s run to its end and returns its record.
    template <class R>
    run_record finish(const run_handle<R>& handle) {
        handle.wait();
        return handle.snapshot();
    }

private:
    static runtime_options make_options(std::shared_ptr<virtual_clock> clock, harness_options options) {
        runtime_options out;
        out.workers = 0;
        out.capacity = options.capacity;
        out.clock = std::move(clock);
        out.registry = options.registry;
        out.random = std::move(options.random);
        out.log_sink = std::move(options.sink);
        out.backend = std::move(options.backend);
        return out;
    }

    std::shared_ptr<virtual_clock> clock_;
    taskkit::runtime runtime_;
};

/// The outcome of run_inline: the record, the typed result, and the delays between attempts.
template <class R>
struct inline_run {
    run_record record;
    taskkit::result<R> outcome;
    std::vector<std::chrono::milliseconds> retry_delays;  ///< from the end of one attempt to the start of the next
};

/// Runs `t` with `payload` on the calling thread on a virtual clock, through every retry, and
/// returns what happened. Children it triggers run too.
/// @code
/// auto run = taskkit::testing::run_inline(task_with_retries, nlohmann::json::object());
/// CHECK(run.record.status == taskkit::run_status::completed);
/// @endcode
template <class P, class R>
inline_run<R> run_inline(const task<P, R>& t, std::type_identity_t<P> payload, trigger_options options = {},
                         harness_options setup = {}) {
    harness h(std::move(setup));
    auto handle = h.runtime().trigger(t, std::move(payload), std::move(options));
    auto outcome = handle.result();
    run_record record = handle.snapshot();
    std::vector<std::chrono::milliseconds> delays;
    for (std::size_t i = 1; i < record.attempts.size(); ++i) {
        const auto& previous = record.attempts[i - 1];
        const auto end = previous.finished_at.value_or(previous.started_at);
        delays.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(record.attempts[i].started_at - end));
    }
    return inline_run<R>{std::move(record), std::move(outcome), std::move(delays)};
}

}  // namespace taskkit::testing
