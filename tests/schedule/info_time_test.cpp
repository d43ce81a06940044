// schedule_info's times are schedule_time, like the payload's: printed by fmt (ISO 8601 UTC, an
// empty optional as "none"), compared with each other and with time points, converted back.
#include <type_traits>

#include <fmt/format.h>

#include "schedule_test_support.hpp"

#include "support/catch.hpp"

using namespace schedule_test;

static_assert(std::is_same_v<decltype(taskkit::schedule_info::next_timestamp),
                             decltype(taskkit::schedule_payload::last_timestamp)>,
              "a schedule's next and last fire times have the payload's type");
static_assert(std::is_same_v<decltype(taskkit::schedule_info::last_timestamp), std::optional<taskkit::schedule_time>>);
static_assert(std::is_same_v<decltype(taskkit::schedule_info::created_at), taskkit::schedule_time>);
static_assert(std::is_same_v<decltype(taskkit::schedule_info::updated_at), taskkit::schedule_time>);

TEST_CASE("schedule_info's times print with fmt in ISO 8601 UTC") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task hourly({.id = "hourly", .cron = "0 * * * *", .run = recorder(log)}, reg);
    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:10:00Z"));
    auto& schedules = taskkit::schedules(h.runtime());

    const auto before = schedules.retrieve("decl_hourly");
    CHECK(fmt::format("{}", before.next_timestamp) == "2026-01-01T01:00:00Z");
    CHECK(fmt::format("{}", before.last_timestamp) == "none");
    CHECK(fmt::format("{} {}", before.created_at, before.updated_at) == "2026-01-01T00:10:00Z 2026-01-01T00:10:00Z");
    CHECK(fmt::format("next {}", *before.next_timestamp) == "next 2026-01-01T01:00:00Z");

    h.advance(1h);
    const auto after = schedules.retrieve("decl_hourly");
    CHECK(fmt::format("{} -> {}", after.last_timestamp, after.next_timestamp) ==
          "2026-01-01T01:00:00Z -> 2026-01-01T02:00:00Z");
    CHECK(after.next_timestamp->to_string() == "2026-01-01T02:00:00Z");

    // The info agrees with the payload of the fire, field for field.
    const auto fires = log.of("hourly");
    REQUIRE(fires.size() == 1);
    CHECK(after.last_timestamp == fires[0].timestamp);
    CHECK(after.next_timestamp == fires[0].upcoming.front());

    const auto off = schedules.deactivate("decl_hourly");
    CHECK(fmt::format("{}", off.next_timestamp) == "none");
}

TEST_CASE("schedule_info's times compare and convert like time points") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task task({.id = "every-ten", .run = recorder(log)}, reg);
    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:00:00Z"));
    const auto info = taskkit::schedules(h.runtime()).create({.task = "every-ten", .cron = "*/10 * * * *"});

    REQUIRE(info.next_timestamp.has_value());
    CHECK(info.next_timestamp == at("2026-01-01T00:10:00Z"));  // with a time_point
    CHECK(at("2026-01-01T00:10:00Z") == *info.next_timestamp);
    CHECK(*info.next_timestamp > info.created_at);  // with each other
    CHECK(*info.next_timestamp < at("2026-01-01T00:10:01Z"));
    CHECK(info.created_at == at("2026-01-01T00:00:00Z"));

    const taskkit::time_point next = *info.next_timestamp;  // back to a time_point
    CHECK(next == at("2026-01-01T00:10:00Z"));
    CHECK(info.next_timestamp->time() == next);

    // Arithmetic gives durations and times, as time points do.
    CHECK(*info.next_timestamp - info.created_at == 10min);
    CHECK(*info.next_timestamp - next == std::chrono::system_clock::duration::zero());
    CHECK(next - info.created_at == 10min);
    CHECK(*info.next_timestamp + 10min == at("2026-01-01T00:20:00Z"));
    CHECK(10min + info.created_at == *info.next_timestamp);
    CHECK(*info.next_timestamp - 10min == info.created_at);
    taskkit::schedule_time t = info.created_at;
    t += 5min;
    t -= 1min;
    CHECK(t == at("2026-01-01T00:04:00Z"));

    // And JSON, as before: ISO 8601 strings, null when empty.
    const nlohmann::json j = info;
    CHECK(j.at("next_timestamp") == "2026-01-01T00:10:00Z");
    CHECK(j.at("last_timestamp").is_null());
    CHECK(j.at("created_at") == "2026-01-01T00:00:00Z");
}
