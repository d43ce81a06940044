// taskkit::cron in IANA time zones, across daylight-saving transitions. Expected values are UTC.
//
// America/New_York 2026: EST is UTC-5, EDT is UTC-4.
//   Spring forward Sunday 2026-03-08 at 02:00 EST (07:00Z): clocks jump to 03:00 EDT.
//   Fall back      Sunday 2026-11-01 at 02:00 EDT (06:00Z): clocks go back to 01:00 EST,
//                  so 01:00-01:59 happens twice (05:00Z-05:59Z as EDT, 06:00Z-06:59Z as EST).
// Europe/Berlin 2026: CET is UTC+1, CEST is UTC+2.
//   Spring forward Sunday 2026-03-29 at 02:00 CET (01:00Z): clocks jump to 03:00 CEST.
//   Fall back      Sunday 2026-10-25 at 03:00 CEST (01:00Z): clocks go back to 02:00 CET,
//                  so 02:00-02:59 happens twice (00:00Z-00:59Z as CEST, 01:00Z-01:59Z as CET).
#include "support/catch.hpp"

#include "cron_test_support.hpp"

#include <taskkit/cron.hpp>

using cron_test::next;
using cron_test::upcoming;
using cron_test::utc;
using strings = std::vector<std::string>;

TEST_CASE("cron zones: wall-clock time in fixed-offset and half-hour zones") {
    CHECK(next("0 9 * * *", "2026-01-01T00:00:00Z", "Asia/Kolkata") == "2026-01-01T03:30:00Z");    // UTC+5:30
    CHECK(next("0 9 * * *", "2026-01-01T00:00:00Z", "Asia/Kathmandu") == "2026-01-01T03:15:00Z");  // UTC+5:45
    // 09:00 JST on January 1st is 00:00Z exactly, which is not strictly after: the next is January 2nd.
    CHECK(next("0 9 * * *", "2026-01-01T00:00:00Z", "Asia/Tokyo") == "2026-01-02T00:00:00Z");
    // Midnight on the 1st in New York (EST) is 05:00Z.
    CHECK(next("0 0 1 * *", "2026-01-01T00:00:00Z", "America/New_York") == "2026-01-01T05:00:00Z");
    // Default zone is UTC; "Etc/UTC" is the same.
    CHECK(next("0 0 1 * *", "2026-01-01T00:00:00Z") == "2026-02-01T00:00:00Z");
    CHECK(next("0 0 1 * *", "2026-01-01T00:00:00Z", "Etc/UTC") == "2026-02-01T00:00:00Z");
}

TEST_CASE("cron zones: the weekday and the date are those of the zone") {
    // Friday 23:00 in Tokyo (UTC+9) is Friday 14:00Z.
    CHECK(next("0 23 * * 5", "2026-01-01T00:00:00Z", "Asia/Tokyo") == "2026-01-02T14:00:00Z");
    // Thursday 20:00 in Los Angeles (PST, UTC-8) is Friday 04:00Z.
    CHECK(next("0 20 * * 4", "2026-01-01T00:00:00Z", "America/Los_Angeles") == "2026-01-02T04:00:00Z");
    // The last day of January in Auckland (NZDT, UTC+13): 2026-01-31 00:00 local is 2026-01-30T11:00Z.
    CHECK(next("0 0 L * *", "2026-01-15T00:00:00Z", "Pacific/Auckland") == "2026-01-30T11:00:00Z");
}

TEST_CASE("cron zones: New York spring forward (2026-03-08)") {
    SECTION("02:30 does not exist that day: it fires at 03:00 EDT, when the gap ends") {
        CHECK(upcoming("30 2 * * *", "2026-03-07T12:00:00Z", 3, "America/New_York") ==
              strings{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"});
        CHECK(upcoming("30 2 * * *", "2026-03-06T12:00:00Z", 2, "America/New_York") ==
              strings{"2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z"});
    }
    SECTION("several skipped times fire once") {
        CHECK(upcoming("0,30 2 * * *", "2026-03-08T05:00:00Z", 2, "America/New_York") ==
              strings{"2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z"});
        // 01:00 EST, then 02:00 (skipped) and 03:00 EDT are the same instant: one fire.
        CHECK(upcoming("0 1-3 * * *", "2026-03-08T05:00:00Z", 3, "America/New_York") ==
              strings{"2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-09T05:00:00Z"});
    }
    SECTION("hourly: 01:00 EST then 03:00 EDT, one hour of real time apart") {
        CHECK(upcoming("0 * * * *", "2026-03-08T05:30:00Z", 3, "America/New_York") ==
              strings{"2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"});
        CHECK(next("0 * * * *", "2026-03-08T06:30:00Z", "America/New_York") == "2026-03-08T07:00:00Z");
    }
    SECTION("every-hour schedules follow real time: 02:30 never happens, so it is skipped") {
        CHECK(upcoming("30 * * * *", "2026-03-08T06:00:00Z", 2, "America/New_York") ==
              strings{"2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"});
        CHECK(upcoming("*/20 * * * *", "2026-03-08T06:30:00Z", 3, "America/New_York") ==
              strings{"2026-03-08T06:40:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:20:00Z"});
    }
}

TEST_CASE("cron zones: New York fall back (2026-11-01)") {
    SECTION("01:30 happens twice: it fires at the first (EDT) only") {
        CHECK(upcoming("30 1 * * *", "2026-10-31T12:00:00Z", 2, "America/New_York") ==
              strings{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"});
        CHECK(next("30 1 * * *", "2026-11-01T05:30:00Z", "America/New_York") == "2026-11-02T06:30:00Z");
        // Asked during the repeated hour, after the first 01:30: tomorrow.
        CHECK(next("30 1 * * *", "2026-11-01T06:10:00Z", "America/New_York") == "2026-11-02T06:30:00Z");
    }
    SECTION("02:30 happens once, in EST") {
        CHECK(upcoming("30 2 * * *", "2026-10-31T12:00:00Z", 2, "America/New_York") ==
              strings{"2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z"});
    }
    SECTION("fixed hours 1-3: 01:00 EDT, 02:00 EST, 03:00 EST") {
        CHECK(upcoming("0 1-3 * * *", "2026-11-01T04:00:00Z", 4, "America/New_York") ==
              strings{"2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z", "2026-11-02T06:00:00Z"});
    }
    SECTION("hourly fires at both 01:00s, every real hour") {
        CHECK(upcoming("0 * * * *", "2026-11-01T04:30:00Z", 3, "America/New_York") ==
              strings{"2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"});
        CHECK(upcoming("*/30 * * * *", "2026-11-01T05:00:00Z", 4, "America/New_York") ==
              strings{"2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:00:00Z"});
    }
}

TEST_CASE("cron zones: Berlin spring forward (2026-03-29)") {
    SECTION("02:30 does not exist that day: it fires at 03:00 CEST") {
        CHECK(upcoming("30 2 * * *", "2026-03-27T12:00:00Z", 3, "Europe/Berlin") ==
              strings{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"});
    }
    SECTION("hourly: 01:00 CET, 03:00 CEST, 04:00 CEST") {
        CHECK(upcoming("0 * * * *", "2026-03-28T23:30:00Z", 3, "Europe/Berlin") ==
              strings{"2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"});
    }
    SECTION("a weekly job at 02:30 on Sundays") {
        CHECK(upcoming("30 2 * * SUN", "2026-03-20T00:00:00Z", 3, "Europe/Berlin") ==
              strings{"2026-03-22T01:30:00Z", "2026-03-29T01:00:00Z", "2026-04-05T00:30:00Z"});
    }
}

TEST_CASE("cron zones: Berlin fall back (2026-10-25)") {
    SECTION("02:30 happens twice: it fires at the first (CEST) only") {
        CHECK(upcoming("30 2 * * *", "2026-10-24T12:00:00Z", 2, "Europe/Berlin") ==
              strings{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"});
    }
    SECTION("hourly fires at both 02:00s") {
        CHECK(upcoming("0 * * * *", "2026-10-24T23:30:00Z", 3, "Europe/Berlin") ==
              strings{"2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"});
    }
    SECTION("every 15 minutes keeps a 15-minute rhythm through the repeated hour") {
        const auto times =
            taskkit::cron::parse("*/15 * * * *").upcoming(utc("2026-10-24T23:00:00Z"), 16, "Europe/Berlin");
        REQUIRE(times.size() == 16);
        CHECK(cron_test::iso(times.front()) == "2026-10-24T23:15:00Z");
        CHECK(cron_test::iso(times.back()) == "2026-10-25T03:00:00Z");
        for (std::size_t i = 1; i < times.size(); ++i) CHECK(times[i] - times[i - 1] == std::chrono::minutes(15));
    }
}

TEST_CASE("cron zones: a pre-resolved zone gives the same times") {
    const auto& berlin = taskkit::cron::locate_zone("Europe/Berlin");
    const auto cron = taskkit::cron::parse("30 2 * * *");
    const auto after = utc("2026-03-27T12:00:00Z");
    CHECK(cron.next(after, berlin) == cron.next(after, "Europe/Berlin"));
    CHECK(cron.upcoming(after, 5, berlin) == cron.upcoming(after, 5, "Europe/Berlin"));
    CHECK(&taskkit::cron::locate_zone("Europe/Berlin") == &berlin);  // a stable reference
}

TEST_CASE("cron zones: unknown time zones") {
    const auto cron = taskkit::cron::parse("0 9 * * *");
    const auto after = utc("2026-01-01T00:00:00Z");
    REQUIRE_THROWS_AS((void)cron.next(after, "Mars/Olympus_Mons"), taskkit::cron_error);
    REQUIRE_THROWS_AS((void)cron.upcoming(after, 3, "Europe/Berln"), taskkit::cron_error);
    REQUIRE_THROWS_AS((void)taskkit::cron::locate_zone(""), taskkit::cron_error);
    try {
        (void)cron.next(after, "Mars/Olympus_Mons");
        FAIL("no exception");
    } catch (const taskkit::cron_error& e) {
        CHECK(e.code() == taskkit::error_code::invalid_cron);
        CHECK(cron_test::contains(e.what(), "unknown time zone \"Mars/Olympus_Mons\""));
        CHECK(cron_test::contains(e.what(), "IANA"));
    }
    CHECK(taskkit::cron::is_valid_timezone("Europe/Berlin"));
    CHECK(taskkit::cron::is_valid_timezone("America/New_York"));
    CHECK(taskkit::cron::is_valid_timezone("UTC"));
    CHECK_FALSE(taskkit::cron::is_valid_timezone("Europe/Berln"));
    CHECK_FALSE(taskkit::cron::is_valid_timezone(""));
    CHECK_FALSE(taskkit::cron::is_valid_timezone("../../etc/passwd"));
    CHECK_FALSE(taskkit::cron::is_valid_timezone(std::string_view("Europe/Berlin\0x", 15)));
}
