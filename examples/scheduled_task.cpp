// Scheduled tasks: a declarative schedule defined with its task, and an imperative one created
// at run time. A virtual clock makes two simulated days pass instantly.
#include <taskkit/schedule.hpp>
#include <taskkit/testing.hpp>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace {

std::mutex output_mutex;
std::vector<std::string> lines;

void print(std::string line) {
    std::lock_guard lock(output_mutex);
    std::puts(line.c_str());
    lines.push_back(std::move(line));
}

}  // namespace

// Every twelve hours, on the hour (UTC).
inline const taskkit::scheduled_task first_scheduled_task({
    .id = "first-scheduled-task",
    .cron = "0 */12 * * *",
    .run =
        [](const taskkit::schedule_payload& payload, taskkit::run_context& ctx) {
            ctx.logger().info("nominal time {}, last {}", payload.timestamp, payload.last_timestamp);
            print(fmt::format("declarative {} fired for {} (last {})", payload.schedule_id, payload.timestamp,
                              payload.last_timestamp));
        },
});

// No cron of its own: it runs from schedules created at run time, one per user.
inline const taskkit::scheduled_task reminder({
    .id = "reminder",
    .run =
        [](const taskkit::schedule_payload& payload, taskkit::run_context&) {
            print(fmt::format("imperative {} for {} fired for {} ({}), next {}", payload.schedule_id,
                              payload.external_id.value_or("?"), payload.timestamp, payload.timezone,
                              payload.upcoming.front()));
        },
});

int main() {
    using namespace std::chrono_literals;
    // A runtime without threads on a virtual clock starting 2026-01-01T00:00:00Z.
    taskkit::testing::harness h;
    auto& rt = h.runtime();

    const auto schedule = taskkit::schedules(rt).create({.task = "reminder",
                                                         .cron = "30 8 * * *",
                                                         .timezone = "Asia/Tokyo",
                                                         .external_id = "user_123",
                                                         .deduplication_key = "user_123-reminder"});
    print(fmt::format("created {} ({} in {}), next at {}", schedule.id, schedule.cron, schedule.timezone,
                      taskkit::schedule_time(*schedule.next_timestamp)));

    for (int hour = 0; hour < 48; ++hour) h.advance(1h);  // two days, an hour at a time

    for (const auto& s : taskkit::schedules(rt).list())
        print(fmt::format("{} {} task={} last={}", to_string(s.type), s.id, s.task,
                          taskkit::schedule_time(s.last_timestamp.value_or(taskkit::time_point{}))));

    // 4 declarative fires (12:00, 00:00, 12:00, 00:00) and 2 imperative ones (08:30 Tokyo).
    const bool ok = lines.size() == 1 + 4 + 2 + 2;
    print(ok ? "ok" : "unexpected number of fires");
    return ok ? 0 : 1;
}
