// The imperative schedules API: create (an upsert on the deduplication key), retrieve, update,
// remove, activate, deactivate, list, and its errors.
#include "schedule_test_support.hpp"

#include "support/catch.hpp"

using namespace schedule_test;

TEST_CASE("create is an upsert on the deduplication key") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task reminder({.id = "reminder", .run = recorder(log)}, reg);
    const taskkit::scheduled_task digest({.id = "digest", .run = recorder(log)}, reg);
    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:00:00Z"));
    auto& schedules = taskkit::schedules(h.runtime());

    const auto a = schedules.create({.task = "reminder",
                                     .cron = "30 8 * * *",
                                     .timezone = "Asia/Tokyo",
                                     .external_id = "user_123",
                                     .deduplication_key = "user_123-reminder"});
    CHECK(a.id.starts_with("sched_"));
    CHECK(a.task == "reminder");
    CHECK(a.type == taskkit::schedule_type::imperative);
    CHECK(a.cron == "30 8 * * *");
    CHECK(a.timezone == "Asia/Tokyo");
    CHECK(a.external_id == std::optional<std::string>("user_123"));
    CHECK(a.deduplication_key == std::optional<std::string>("user_123-reminder"));
    CHECK(a.active);
    CHECK(a.created_at == at("2026-01-01T00:00:00Z"));
    CHECK_FALSE(a.last_timestamp.has_value());

    h.advance(10min);
    const auto b = schedules.create({.task = "reminder",
                                     .cron = "0 9 * * *",
                                     .timezone = "Europe/Paris",
                                     .external_id = "user_123",
                                     .deduplication_key = "user_123-reminder"});
    CHECK(b.id == a.id);  // same key: the same schedule, updated
    CHECK(b.cron == "0 9 * * *");
    CHECK(b.timezone == "Europe/Paris");
    CHECK(b.created_at == a.created_at);
    CHECK(b.updated_at == at("2026-01-01T00:10:00Z"));
    CHECK(b.next_timestamp == at("2026-01-01T08:00:00Z"));  // 09:00 in Paris (UTC+1)

    const auto c =
        schedules.create({.task = "reminder", .cron = "0 9 * * *", .deduplication_key = "user_456-reminder"});
    const auto d = schedules.create({.task = "digest", .cron = "0 9 * * *"});  // no key: always new
    const auto e = schedules.create({.task = "digest", .cron = "0 9 * * *"});
    CHECK(c.id != a.id);
    CHECK(d.id != e.id);
    CHECK(schedules.list({.type = taskkit::schedule_type::imperative}).size() == 4);

    // The old timer of the updated schedule is stale: only the new time fires.
    h.advance(24h);
    const auto fires = log.of("reminder");
    std::size_t from_a = 0;
    for (const auto& p : fires)
        if (p.schedule_id == a.id) {
            ++from_a;
            CHECK(p.timestamp == at("2026-01-01T08:00:00Z"));
            CHECK(p.timezone == "Europe/Paris");
        }
    CHECK(from_a == 1);
}

TEST_CASE("retrieve, update, list, remove") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task reminder({.id = "reminder", .run = recorder(log)}, reg);
    const taskkit::scheduled_task report({.id = "report", .cron = "0 6 * * *", .run = recorder(log)}, reg);
    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:00:00Z"));
    auto& schedules = taskkit::schedules(h.runtime());

    const auto s = schedules.create({.task = "reminder", .cron = "0 * * * *", .external_id = "u1"});
    const auto got = schedules.retrieve(s.id);
    CHECK(got.id == s.id);
    CHECK(got.next_timestamp == at("2026-01-01T01:00:00Z"));
    CHECK(schedules.find(s.id).has_value());
    CHECK_FALSE(schedules.find("sched_nope").has_value());

    // list: the declarative schedule of "report" and the imperative one.
    CHECK(schedules.list().size() == 2);
    CHECK(schedules.list({.task = "report"}).size() == 1);
    CHECK(schedules.list({.task = "report"})[0].id == "decl_report");
    CHECK(schedules.list({.task = "reminder"})[0].id == s.id);
    CHECK(schedules.list({.type = taskkit::schedule_type::declarative}).size() == 1);

    // update: a new cron reschedules from now.
    h.advance(10min);
    const auto u = schedules.update(s.id, {.cron = "30 * * * *", .external_id = "u2"});
    CHECK(u.cron == "30 * * * *");
    CHECK(u.external_id == std::optional<std::string>("u2"));
    CHECK(u.next_timestamp == at("2026-01-01T00:30:00Z"));
    h.advance(20min);
    auto fires = log.of("reminder");
    REQUIRE(fires.size() == 1);
    CHECK(fires[0].timestamp == at("2026-01-01T00:30:00Z"));
    CHECK(fires[0].external_id == std::optional<std::string>("u2"));
    h.advance(59min);  // to 01:29: the old 01:00 timer is stale; 01:30 is not yet due
    CHECK(log.count("reminder") == 1);

    const auto tz = schedules.update(s.id, {.timezone = "Asia/Kolkata"});  // UTC+05:30
    CHECK(tz.next_timestamp == at("2026-01-01T02:00:00Z"));                // xx:30 in Kolkata is xx:00 UTC

    // remove: the schedule stops, and is gone.
    CHECK(schedules.remove(s.id));
    CHECK_FALSE(schedules.remove(s.id));
    CHECK_THROWS_AS(schedules.retrieve(s.id), taskkit::unknown_schedule_error);
    h.advance(3h);
    CHECK(log.count("reminder") == 1);
    CHECK(schedules.list({.task = "reminder"}).empty());
}

TEST_CASE("deactivated schedules do not fire, activated ones resume after now without replaying") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task hourly({.id = "hourly", .cron = "0 * * * *", .run = recorder(log)}, reg);
    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:00:00Z"));
    auto& schedules = taskkit::schedules(h.runtime());

    h.advance(1h);
    REQUIRE(log.count("hourly") == 1);

    const auto off = schedules.deactivate("decl_hourly");  // declarative schedules can be paused too
    CHECK_FALSE(off.active);
    CHECK_FALSE(off.next_timestamp.has_value());
    advance_in_steps(h, 3h, 1h);
    CHECK(log.count("hourly") == 1);
    CHECK(schedules.list({.active = false}).size() == 1);

    h.advance(30min);  // 04:30
    const auto on = schedules.activate("decl_hourly");
    CHECK(on.active);
    CHECK(on.next_timestamp == at("2026-01-01T05:00:00Z"));
    h.advance(30min);
    const auto fires = log.of("hourly");
    REQUIRE(fires.size() == 2);  // 02:00, 03:00 and 04:00 are not replayed
    CHECK(fires[1].timestamp == at("2026-01-01T05:00:00Z"));
    CHECK(fires[1].last_timestamp == at("2026-01-01T01:00:00Z"));

    // Activating an active schedule, or deactivating an inactive one, changes nothing.
    CHECK(schedules.activate("decl_hourly").next_timestamp == at("2026-01-01T06:00:00Z"));

    // An imperative schedule created inactive does not fire until activated.
    const auto later = schedules.create({.task = "hourly", .cron = "15 * * * *", .active = false});
    CHECK_FALSE(later.active);
    h.advance(1h);
    for (const auto& p : log.of("hourly")) CHECK(p.schedule_id != later.id);
}

TEST_CASE("schedule errors name what is wrong") {
    taskkit::registry reg;
    fire_log log;
    const taskkit::scheduled_task reminder({.id = "reminder", .run = recorder(log)}, reg);
    const taskkit::task<nlohmann::json> plain({.id = "plain", .run = [](const nlohmann::json&) {}}, reg);
    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:00:00Z"));
    auto& schedules = taskkit::schedules(h.runtime());

    CHECK_THROWS_AS(schedules.create({.task = "nope", .cron = "0 * * * *"}), taskkit::unknown_task_error);
    CHECK_THROWS_AS(schedules.create({.task = "plain", .cron = "0 * * * *"}), taskkit::options_error);
    CHECK_THROWS_WITH(schedules.create({.task = "plain", .cron = "0 * * * *"}),
                      Catch::Matchers::Contains("not a scheduled task"));
    CHECK_THROWS_AS(schedules.create({.task = "", .cron = "0 * * * *"}), taskkit::options_error);
    CHECK_THROWS_AS(schedules.create({.task = "reminder", .cron = "0 25 * * *"}), taskkit::cron_error);
    CHECK_THROWS_AS(schedules.create({.task = "reminder", .cron = ""}), taskkit::cron_error);
    CHECK_THROWS_AS(schedules.create({.task = "reminder", .cron = "0 * * * *", .timezone = "Europe/Berln"}),
                    taskkit::cron_error);
    CHECK(schedules.list().empty());  // nothing was created by a failed call

    CHECK_THROWS_AS(schedules.retrieve("sched_999999"), taskkit::unknown_schedule_error);
    CHECK_THROWS_AS(schedules.update("sched_999999", {.cron = "0 * * * *"}), taskkit::unknown_schedule_error);
    CHECK_THROWS_AS(schedules.activate("sched_999999"), taskkit::unknown_schedule_error);
    CHECK_THROWS_AS(schedules.deactivate("sched_999999"), taskkit::unknown_schedule_error);
    CHECK_FALSE(schedules.remove("sched_999999"));
    try {
        (void)schedules.retrieve("sched_999999");
    } catch (const taskkit::error& e) {
        CHECK(e.code() == taskkit::error_code::invalid_state);
        CHECK(std::string(e.what()).find("sched_999999") != std::string::npos);
    }

    const auto s = schedules.create({.task = "reminder", .cron = "0 * * * *"});
    CHECK_THROWS_AS(schedules.update(s.id, {.cron = "61 * * * *"}), taskkit::cron_error);
    CHECK_THROWS_AS(schedules.update(s.id, {.timezone = "Mars/Olympus"}), taskkit::cron_error);
    CHECK_THROWS_AS(schedules.update(s.id, {.task = "plain"}), taskkit::options_error);
    CHECK(schedules.retrieve(s.id).cron == "0 * * * *");  // unchanged by the failed updates
}

TEST_CASE("declarative schedules are validated with their task and cannot be edited at run time") {
    taskkit::registry reg;
    fire_log log;
    CHECK_THROWS_AS(taskkit::scheduled_task({.id = "bad", .cron = "0 0 30 2 *", .run = recorder(log)}, reg),
                    taskkit::cron_error);
    CHECK_THROWS_AS(taskkit::scheduled_task({.id = "bad-zone",
                                             .cron = {{.pattern = "0 9 * * *", .timezone = "America/New_Yrok"}},
                                             .run = recorder(log)},
                                            reg),
                    taskkit::cron_error);
    CHECK_FALSE(reg.contains("bad"));  // nothing registered
    CHECK_FALSE(reg.contains("bad-zone"));
    CHECK_THROWS_AS(taskkit::scheduled_task({.id = "no-run", .cron = "0 * * * *"}, reg), taskkit::options_error);

    const taskkit::scheduled_task daily({.id = "daily", .cron = "@daily", .run = recorder(log)}, reg);
    CHECK(daily.id() == "daily");
    CHECK(daily.cron_pattern() == "@daily");
    CHECK(daily.timezone() == "UTC");
    CHECK_THROWS_AS(taskkit::scheduled_task({.id = "daily", .cron = "@daily", .run = recorder(log)}, reg),
                    taskkit::duplicate_task_error);

    taskkit::testing::harness h(at_start(reg, "2026-01-01T00:00:00Z"));
    auto& schedules = taskkit::schedules(h.runtime());
    CHECK_THROWS_AS(schedules.update("decl_daily", {.cron = "0 1 * * *"}), taskkit::state_error);
    CHECK_THROWS_AS(schedules.remove("decl_daily"), taskkit::state_error);
    CHECK(schedules.retrieve("decl_daily").next_timestamp == at("2026-01-02T00:00:00Z"));
}
