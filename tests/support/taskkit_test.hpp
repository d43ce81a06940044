// Helpers shared by taskkit's tests.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <taskkit/taskkit.hpp>

#include "support/catch.hpp"
#include "support/eventually.hpp"

namespace taskkit_test {

using namespace std::chrono_literals;

/// A generous real-time bound for waits in tests: a deadlock fails the test instead of hanging it.
inline constexpr auto deadline = std::chrono::seconds(30);

/// Runtime options for tests: a private registry, no log output, a fixed jitter.
inline taskkit::runtime_options options(taskkit::registry& reg, unsigned workers = 2,
                                        std::shared_ptr<taskkit::clock> clock = nullptr) {
    return taskkit::runtime_options{.workers = workers,
                                    .capacity = taskkit::machines::large_2x,
                                    .clock = std::move(clock),
                                    .registry = &reg,
                                    .random = [] { return 0.0; },
                                    .log_sink = taskkit::null_log_sink()};
}

/// How many runs a runtime's backend holds (every unfinished run and the retained finished ones).
inline std::size_t held_runs(const taskkit::runtime& rt) {
    return rt.list({.limit = std::numeric_limits<std::size_t>::max()}).runs.size();
}

/// Blocks a run until its stop token is requested (cancel or max_duration), or 30 s pass.
inline void wait_for_stop(taskkit::run_context& ctx) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, ctx.stop_token(), std::chrono::seconds(30), [] { return false; });
}

/// Records the peak of a counter of concurrent executions.
struct peak_counter {
    std::atomic<int> now{0};
    std::atomic<int> peak{0};
    void enter() {
        const int value = ++now;
        int seen = peak.load();
        while (value > seen && !peak.compare_exchange_weak(seen, value)) {
        }
    }
    void leave() { --now; }
};

/// A thread-safe list of strings (hook order, events).
struct event_log {
    std::mutex mutex;
    std::vector<std::string> events;
    void add(std::string e) {
        std::lock_guard lock(mutex);
        events.push_back(std::move(e));
    }
    std::vector<std::string> get() {
        std::lock_guard lock(mutex);
        return events;
    }
};

/// A one-shot gate tests open to let blocked runs continue (runs wait on it with a deadline).
struct gate {
    std::mutex mutex;
    std::condition_variable cv;
    bool open_ = false;
    void open() {
        std::lock_guard lock(mutex);
        open_ = true;
        cv.notify_all();
    }
    bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, timeout, [&] { return open_; });
    }
};

/// Catch2's assertions are not thread-safe, so code running on a runtime's workers records its checks here
/// and the test thread asserts them afterwards: `CHECK(checks.failures() == no_failures)`.
class worker_checks {
public:
    /// Records one check; returns whether it passed.
    bool expect(bool passed, std::string_view what) {
        std::lock_guard lock(mutex_);
        ++count_;
        if (!passed) failures_.emplace_back(what);
        return passed;
    }
    /// The descriptions of the checks that failed.
    std::vector<std::string> failures() const {
        std::lock_guard lock(mutex_);
        return failures_;
    }
    /// How many checks were recorded, passed or not: a test asserts they ran.
    int count() const {
        std::lock_guard lock(mutex_);
        return count_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> failures_;
    int count_ = 0;
};

inline const std::vector<std::string> no_failures;

#define TASKKIT_TEST_STR2(x) #x
#define TASKKIT_TEST_STR(x) TASKKIT_TEST_STR2(x)
/// Records `expr` in a worker_checks from any thread, with its text and line.
#define WORKER_CHECK(checks, ...) \
    (checks).expect(static_cast<bool>(__VA_ARGS__), #__VA_ARGS__ " (line " TASKKIT_TEST_STR(__LINE__) ")")

/// Records whether `statement` throws `exception` (and nothing else), from any thread.
#define WORKER_CHECK_THROWS_AS(checks, statement, exception)                                                        \
    do {                                                                                                            \
        bool threw_expected = false;                                                                                \
        try {                                                                                                       \
            static_cast<void>(statement);                                                                           \
        } catch (const exception&) {                                                                                \
            threw_expected = true;                                                                                  \
        } catch (...) {                                                                                             \
        }                                                                                                           \
        (checks).expect(threw_expected, #statement " throws " #exception " (line " TASKKIT_TEST_STR(__LINE__) ")"); \
    } while (false)

}  // namespace taskkit_test
