// Helpers shared by the scheduled-task tests.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <taskkit/schedule.hpp>
#include <taskkit/testing.hpp>

#include "support/taskkit_test.hpp"

namespace schedule_test {

using namespace std::chrono_literals;

/// "2026-03-08T13:00:00Z" as a time point.
inline taskkit::time_point at(const char* iso) { return taskkit::schedule_time::parse(iso).time(); }

/// Every payload each task received, in order (thread-safe).
struct fire_log {
    std::mutex mutex;
    std::map<std::string, std::vector<taskkit::schedule_payload>> by_task;

    void add(const std::string& task, const taskkit::schedule_payload& payload) {
        std::lock_guard lock(mutex);
        by_task[task].push_back(payload);
    }
    std::vector<taskkit::schedule_payload> of(const std::string& task) {
        std::lock_guard lock(mutex);
        return by_task[task];
    }
    std::vector<std::string> timestamps(const std::string& task) {
        std::vector<std::string> out;
        for (const auto& p : of(task)) out.push_back(p.timestamp.to_string());
        return out;
    }
    std::size_t count(const std::string& task) {
        std::lock_guard lock(mutex);
        return by_task[task].size();
    }
};

/// A run function that records its payload under the task's id.
inline auto recorder(fire_log& log) {
    return [&log](const taskkit::schedule_payload& payload, taskkit::run_context& ctx) {
        log.add(std::string(ctx.task().id), payload);
    };
}

/// Advances a harness's virtual clock by `total` in steps of `step`, running what falls due.
inline void advance_in_steps(taskkit::testing::harness& h, std::chrono::system_clock::duration total,
                             std::chrono::system_clock::duration step) {
    for (auto done = std::chrono::system_clock::duration::zero(); done < total; done += step) h.advance(step);
}

/// A harness on `reg` starting at `start`.
inline taskkit::testing::harness_options at_start(taskkit::registry& reg, const char* start) {
    taskkit::testing::harness_options options;
    options.start = at(start);
    options.registry = &reg;
    return options;
}

}  // namespace schedule_test
