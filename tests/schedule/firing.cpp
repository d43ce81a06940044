// Scheduled tasks on a virtual clock: every fire over 30 days in several zones, the payload,
// the catch-up rule, drift-free nominal times.
#include "schedule_test_support.hpp"

#include "support/catch.hpp"

using namespace schedule_test;
using taskkit_test::deadline;

TEST_CASE("30 days of declarative schedules in several zones fire exactly at their nominal times") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task every_six_hours({.id = "utc-6h", .cron = "0 */6 * * *", .run = recorder(log)}, reg);
    const taskkit::scheduled_task tokyo_weekdays(
        {.id = "tokyo", .cron = {{.pattern = "30 8 * * 1-5", .timezone = "Asia/Tokyo"}}, .run = recorder(log)}, reg);
    const taskkit::scheduled_task new_york_daily(
        {.id = "new-york",
         .cron = taskkit::cron_options{.pattern = "0 9 * * *", .timezone = "America/New_York"},
         .run = recorder(log)},
        reg);
    const taskkit::scheduled_task month_end({.id = "month-end", .cron = "0 0 L * *", .run = recorder(log)}, reg);

    // 2026-02-20T00:00Z (a Friday) to 2026-03-22T00:00Z, one hour at a time: the US change to
    // daylight saving (2026-03-08) and the end of February fall inside.
    taskkit::testing::harness h(at_start(reg, "2026-02-20T00:00:00Z"));
    advance_in_steps(h, std::chrono::hours(24 * 30), 1h);
    REQUIRE(h.clock().now() == at("2026-03-22T00:00:00Z"));

    // Every 6 hours in UTC: 06:00, 12:00, 18:00, 00:00 — 120 fires, the last at the window's end.
    std::vector<std::string> six_hourly;
    for (int k = 1; k <= 120; ++k)
        six_hourly.push_back(
            taskkit::schedule_time(at("2026-02-20T00:00:00Z") + std::chrono::hours(6 * k)).to_string());
    CHECK(log.timestamps("utc-6h") == six_hourly);

    // 08:30 Monday to Friday in Tokyo (UTC+9, no DST) is 23:30 UTC the day before.
    CHECK(log.timestamps("tokyo") ==
          std::vector<std::string>{
              "2026-02-22T23:30:00Z", "2026-02-23T23:30:00Z", "2026-02-24T23:30:00Z", "2026-02-25T23:30:00Z",
              "2026-02-26T23:30:00Z", "2026-03-01T23:30:00Z", "2026-03-02T23:30:00Z", "2026-03-03T23:30:00Z",
              "2026-03-04T23:30:00Z", "2026-03-05T23:30:00Z", "2026-03-08T23:30:00Z", "2026-03-09T23:30:00Z",
              "2026-03-10T23:30:00Z", "2026-03-11T23:30:00Z", "2026-03-12T23:30:00Z", "2026-03-15T23:30:00Z",
              "2026-03-16T23:30:00Z", "2026-03-17T23:30:00Z", "2026-03-18T23:30:00Z", "2026-03-19T23:30:00Z"});

    // 09:00 in New York: 14:00 UTC under EST, 13:00 UTC from 2026-03-08 under EDT.
    CHECK(log.timestamps("new-york") ==
          std::vector<std::string>{
              "2026-02-20T14:00:00Z", "2026-02-21T14:00:00Z", "2026-02-22T14:00:00Z", "2026-02-23T14:00:00Z",
              "2026-02-24T14:00:00Z", "2026-02-25T14:00:00Z", "2026-02-26T14:00:00Z", "2026-02-27T14:00:00Z",
              "2026-02-28T14:00:00Z", "2026-03-01T14:00:00Z", "2026-03-02T14:00:00Z", "2026-03-03T14:00:00Z",
              "2026-03-04T14:00:00Z", "2026-03-05T14:00:00Z", "2026-03-06T14:00:00Z", "2026-03-07T14:00:00Z",
              "2026-03-08T13:00:00Z", "2026-03-09T13:00:00Z", "2026-03-10T13:00:00Z", "2026-03-11T13:00:00Z",
              "2026-03-12T13:00:00Z", "2026-03-13T13:00:00Z", "2026-03-14T13:00:00Z", "2026-03-15T13:00:00Z",
              "2026-03-16T13:00:00Z", "2026-03-17T13:00:00Z", "2026-03-18T13:00:00Z", "2026-03-19T13:00:00Z",
              "2026-03-20T13:00:00Z", "2026-03-21T13:00:00Z"});

    // The last day of the month: 2026-02-28 (not a leap year); March 31st is outside the window.
    CHECK(log.timestamps("month-end") == std::vector<std::string>{"2026-02-28T00:00:00Z"});

    // Each fire's last_timestamp is the previous fire's nominal time: no drift, no gaps.
    const auto ny = log.of("new-york");
    REQUIRE(ny.size() == 30);
    CHECK_FALSE(ny[0].last_timestamp.has_value());
    for (std::size_t i = 1; i < ny.size(); ++i) CHECK(ny[i].last_timestamp == ny[i - 1].timestamp);
    CHECK(ny[15].timezone == "America/New_York");

    const auto info = taskkit::schedules(h.runtime()).retrieve("decl_new-york");
    CHECK(info.type == taskkit::schedule_type::declarative);
    CHECK(info.last_timestamp == at("2026-03-21T13:00:00Z"));
    CHECK(info.next_timestamp == at("2026-03-22T13:00:00Z"));
}

TEST_CASE("the payload carries the schedule id, type, nominal times, zone, upcoming times and external id") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task reminder({.id = "reminder", .run = recorder(log)}, reg);
    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:00:00Z"));
    const auto created = taskkit::schedules(h.runtime())
                             .create({.task = "reminder",
                                      .cron = "30 8 * * *",
                                      .timezone = "Asia/Tokyo",
                                      .external_id = "user_123",
                                      .deduplication_key = "user_123-reminder"});
    CHECK(created.next_timestamp == at("2026-01-01T23:30:00Z"));

    h.advance(24h);  // to 2026-01-02T00:00Z: the 08:30 Tokyo fire of 2026-01-02 has passed
    auto fires = log.of("reminder");
    REQUIRE(fires.size() == 1);
    const auto first = fires[0];
    CHECK(first.schedule_id == created.id);
    CHECK(first.type == taskkit::schedule_type::imperative);
    CHECK(first.timestamp == at("2026-01-01T23:30:00Z"));
    CHECK_FALSE(first.last_timestamp.has_value());
    CHECK(first.timezone == "Asia/Tokyo");
    CHECK(first.external_id == std::optional<std::string>("user_123"));
    REQUIRE(first.upcoming.size() == 5);
    for (int i = 0; i < 5; ++i)
        CHECK(first.upcoming[static_cast<std::size_t>(i)] ==
              at("2026-01-01T23:30:00Z") + std::chrono::hours(24 * (i + 1)));

    h.advance(24h);
    fires = log.of("reminder");
    REQUIRE(fires.size() == 2);
    CHECK(fires[1].timestamp == at("2026-01-02T23:30:00Z"));
    CHECK(fires[1].last_timestamp == at("2026-01-01T23:30:00Z"));
    CHECK(fires[1].upcoming.front() == at("2026-01-03T23:30:00Z"));

    // JSON round trip, times as ISO 8601 strings.
    const nlohmann::json j = fires[1];
    CHECK(j.at("timestamp") == "2026-01-02T23:30:00Z");
    CHECK(j.at("last_timestamp") == "2026-01-01T23:30:00Z");
    CHECK(j.at("type") == "imperative");
    CHECK(j.at("external_id") == "user_123");
    CHECK(j.at("upcoming").size() == 5);
    const auto back = j.get<taskkit::schedule_payload>();
    CHECK(back.schedule_id == fires[1].schedule_id);
    CHECK(back.timestamp == fires[1].timestamp);
    CHECK(back.last_timestamp == fires[1].last_timestamp);
    CHECK(back.upcoming == fires[1].upcoming);
    CHECK(back.external_id == fires[1].external_id);
    const nlohmann::json first_json = first;
    CHECK(first_json.at("last_timestamp").is_null());

    // fmt prints the times in UTC, and a missing last_timestamp as "none".
    CHECK(fmt::format("{} {}", first.timestamp, first.last_timestamp) == "2026-01-01T23:30:00Z none");
    CHECK(fmt::format("{}", fires[1].last_timestamp) == "2026-01-01T23:30:00Z");
}

TEST_CASE("a late timer fires once, for the latest nominal time that has passed") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task hourly({.id = "hourly", .cron = "0 * * * *", .run = recorder(log)}, reg);
    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:00:00Z"));

    h.advance(30min);
    CHECK(log.count("hourly") == 0);

    // The process "sleeps" through 24 nominal times: one fire, for 2026-01-02T00:00Z, though it
    // runs at 00:30; the 23 skipped times are not replayed.
    h.advance(24h);
    auto fires = log.of("hourly");
    REQUIRE(fires.size() == 1);
    CHECK(fires[0].timestamp == at("2026-01-02T00:00:00Z"));
    CHECK_FALSE(fires[0].last_timestamp.has_value());

    // The next fire keeps to the grid (01:00, not 00:30 + 1h) and remembers the previous nominal time.
    h.advance(30min);
    fires = log.of("hourly");
    REQUIRE(fires.size() == 2);
    CHECK(fires[1].timestamp == at("2026-01-02T01:00:00Z"));
    CHECK(fires[1].last_timestamp == at("2026-01-02T00:00:00Z"));

    // A run created late still carries its nominal time, in its payload and its metadata.
    h.advance(90min);  // 01:00 → 02:30: the 02:00 fire runs at 02:30
    fires = log.of("hourly");
    REQUIRE(fires.size() == 3);
    CHECK(fires[2].timestamp == at("2026-01-02T02:00:00Z"));
}

TEST_CASE("fires run as ordinary runs that record the schedule that fired them") {
    taskkit::registry reg;
    std::mutex mutex;
    std::vector<std::string> run_ids;
    const taskkit::scheduled_task tagged({.id = "tagged",
                                          .cron = "*/15 * * * *",
                                          .run =
                                              [&](const taskkit::schedule_payload&, taskkit::run_context& ctx) {
                                                  std::lock_guard lock(mutex);
                                                  run_ids.emplace_back(ctx.run().id);
                                              }},
                                         reg);
    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:00:00Z"));
    const auto imperative = taskkit::schedules(h.runtime()).create({.task = "tagged", .cron = "0 * * * *"});
    h.advance(1h);  // 00:15, 00:30, 00:45, 01:00 (declarative, one step: the latest) and 01:00 (imperative)

    std::vector<std::string> ids;
    {
        std::lock_guard lock(mutex);
        ids = run_ids;
    }
    REQUIRE(ids.size() == 2);
    int declarative = 0;
    int imperative_fires = 0;
    for (const auto& id : ids) {
        const auto record = h.runtime().retrieve(id);
        REQUIRE(record.has_value());
        CHECK(record->status == taskkit::run_status::completed);
        CHECK(record->task_id == "tagged");
        REQUIRE(record->tags.size() == 1);
        const auto& schedule = record->metadata.at("schedule");
        CHECK(record->tags[0] == "schedule:" + schedule.at("id").get<std::string>());
        CHECK(schedule.at("timestamp") == "2026-01-01T01:00:00Z");
        CHECK(record->payload.at("schedule_id") == schedule.at("id"));
        if (schedule.at("id") == "decl_tagged") {
            CHECK(schedule.at("type") == "declarative");
            ++declarative;
        } else {
            CHECK(schedule.at("id") == imperative.id);
            CHECK(schedule.at("type") == "imperative");
            ++imperative_fires;
        }
    }
    CHECK(declarative == 1);
    CHECK(imperative_fires == 1);

    // The scheduled task is an ordinary task too: it can be triggered by hand, or by id.
    auto by_hand = tagged.trigger({.schedule_id = "manual", .timestamp = at("2026-01-01T01:05:00Z")});
    CHECK(h.finish(by_hand).status == taskkit::run_status::completed);
    auto by_id = h.runtime().trigger(
        "tagged",
        nlohmann::json{{"schedule_id", "manual"}, {"type", "imperative"}, {"timestamp", "2026-01-01T01:06:00Z"}});
    CHECK(h.finish(by_id).status == taskkit::run_status::completed);
}

TEST_CASE("a failing scheduled run retries like any run, and the schedule keeps firing") {
    taskkit::registry reg;
    std::atomic<int> attempts{0};
    const taskkit::scheduled_task flaky(
        {.id = "flaky",
         .cron = "0 * * * *",
         .retry = {.max_attempts = 2, .min_timeout = 1s, .max_timeout = 1s, .randomize = false},
         .run =
             [&](const taskkit::schedule_payload&) {
                 if (++attempts % 2 == 1) throw std::runtime_error("first attempt fails");
             }},
        reg);
    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:00:00Z"));
    h.advance(1h);
    h.advance(1s);
    h.advance(1h);
    h.advance(1s);
    CHECK(attempts == 4);
    CHECK(taskkit::schedules(h.runtime()).retrieve("decl_flaky").last_timestamp == at("2026-01-01T02:00:00Z"));
}
