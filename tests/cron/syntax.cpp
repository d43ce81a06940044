// taskkit::cron: every syntax feature, with fire times computed by hand in UTC.
// Calendar used below: 2026-01-01 is a Thursday, 2026-02-01 a Sunday, 2026-03-01 a Sunday.
#include "support/catch.hpp"

#include "cron_test_support.hpp"

#include <taskkit/cron.hpp>

using cron_test::next;
using cron_test::upcoming;
using cron_test::utc;
using strings = std::vector<std::string>;

TEST_CASE("cron: every minute, strictly after the given time") {
    CHECK(next("* * * * *", "2026-01-01T00:00:00Z") == "2026-01-01T00:01:00Z");
    CHECK(next("* * * * *", "2026-01-01T00:00:30Z") == "2026-01-01T00:01:00Z");
    CHECK(next("* * * * *", "2026-01-01T00:00:59Z") == "2026-01-01T00:01:00Z");
    const auto cron = taskkit::cron::parse("* * * * *");
    CHECK(cron_test::iso(cron.next(utc("2026-01-01T00:00:00Z") + std::chrono::milliseconds(500))) ==
          "2026-01-01T00:01:00Z");
    CHECK(cron_test::iso(cron.next(utc("2026-01-01T00:00:59Z") + std::chrono::nanoseconds(999'999'999))) ==
          "2026-01-01T00:01:00Z");
    CHECK(cron_test::iso(cron.next(utc("2026-01-01T00:00:00Z") - std::chrono::nanoseconds(1))) ==
          "2026-01-01T00:00:00Z");
}

TEST_CASE("cron: single values") {
    CHECK(next("0 9 * * *", "2026-01-01T08:59:59Z") == "2026-01-01T09:00:00Z");
    CHECK(next("0 9 * * *", "2026-01-01T09:00:00Z") == "2026-01-02T09:00:00Z");
    CHECK(next("05 09 * * *", "2026-01-01T00:00:00Z") == "2026-01-01T09:05:00Z");  // leading zeros
    CHECK(next("59 23 31 12 *", "2026-01-01T00:00:00Z") == "2026-12-31T23:59:00Z");
}

TEST_CASE("cron: ranges") {
    CHECK(upcoming("0-2 * * * *", "2026-01-01T10:00:00Z", 4) ==
          strings{"2026-01-01T10:01:00Z", "2026-01-01T10:02:00Z", "2026-01-01T11:00:00Z", "2026-01-01T11:01:00Z"});
    // Weekdays: Friday 2026-01-02 10:00 → Monday 2026-01-05 09:00.
    CHECK(next("0 9 * * 1-5", "2026-01-02T10:00:00Z") == "2026-01-05T09:00:00Z");
    CHECK(next("0 9 * * 1-5", "2026-01-05T09:00:00Z") == "2026-01-06T09:00:00Z");
    CHECK(upcoming("0 22-23 * * *", "2026-01-01T22:30:00Z", 3) ==
          strings{"2026-01-01T23:00:00Z", "2026-01-02T22:00:00Z", "2026-01-02T23:00:00Z"});
}

TEST_CASE("cron: steps") {
    SECTION("*/15") {
        CHECK(upcoming("*/15 * * * *", "2026-01-01T10:07:00Z", 4) ==
              strings{"2026-01-01T10:15:00Z", "2026-01-01T10:30:00Z", "2026-01-01T10:45:00Z", "2026-01-01T11:00:00Z"});
    }
    SECTION("a-b/n") {
        CHECK(upcoming("10-50/10 * * * *", "2026-01-01T10:00:00Z", 6) ==
              strings{"2026-01-01T10:10:00Z", "2026-01-01T10:20:00Z", "2026-01-01T10:30:00Z", "2026-01-01T10:40:00Z",
                      "2026-01-01T10:50:00Z", "2026-01-01T11:10:00Z"});
    }
    SECTION("a/n means a-max/n") {
        CHECK(upcoming("5/15 * * * *", "2026-01-01T10:00:00Z", 5) ==
              strings{"2026-01-01T10:05:00Z", "2026-01-01T10:20:00Z", "2026-01-01T10:35:00Z", "2026-01-01T10:50:00Z",
                      "2026-01-01T11:05:00Z"});
    }
    SECTION("hours") {
        CHECK(upcoming("0 */6 * * *", "2026-01-01T00:00:00Z", 4) ==
              strings{"2026-01-01T06:00:00Z", "2026-01-01T12:00:00Z", "2026-01-01T18:00:00Z", "2026-01-02T00:00:00Z"});
    }
    SECTION("days of the month: 1, 11, 21, 31") {
        CHECK(upcoming("0 0 */10 * *", "2026-01-01T00:00:00Z", 4) ==
              strings{"2026-01-11T00:00:00Z", "2026-01-21T00:00:00Z", "2026-01-31T00:00:00Z", "2026-02-01T00:00:00Z"});
    }
    SECTION("months: January, April, July, October") {
        CHECK(upcoming("0 0 1 */3 *", "2026-01-01T00:00:00Z", 3) ==
              strings{"2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z"});
    }
    SECTION("weekdays with names: MON-FRI/2 is Monday, Wednesday, Friday") {
        CHECK(upcoming("0 0 * * MON-FRI/2", "2026-01-01T00:00:00Z", 3) ==
              strings{"2026-01-02T00:00:00Z", "2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z"});
    }
    SECTION("a/n in day-of-week runs to Saturday; 7/n is Sunday") {
        CHECK(upcoming("0 0 * * 1/2", "2026-01-01T00:00:00Z", 4) ==
              strings{"2026-01-02T00:00:00Z", "2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z", "2026-01-09T00:00:00Z"});
        CHECK(upcoming("0 0 * * 07/1", "2026-01-01T00:00:00Z", 2) ==
              strings{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"});
        CHECK(taskkit::cron::parse("0 0 * * 7/3") == taskkit::cron::parse("0 0 * * 0"));
    }
    SECTION("*/2 in day-of-week is Sunday, Tuesday, Thursday, Saturday") {
        CHECK(upcoming("0 0 * * */2", "2026-01-01T00:00:00Z", 4) ==
              strings{"2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-06T00:00:00Z", "2026-01-08T00:00:00Z"});
    }
}

TEST_CASE("cron: lists") {
    CHECK(upcoming("0 8,12,18 * * *", "2026-01-01T12:00:00Z", 3) ==
          strings{"2026-01-01T18:00:00Z", "2026-01-02T08:00:00Z", "2026-01-02T12:00:00Z"});
    CHECK(upcoming("0,30-31,50/5 1 * * *", "2026-01-01T00:00:00Z", 6) ==
          strings{"2026-01-01T01:00:00Z", "2026-01-01T01:30:00Z", "2026-01-01T01:31:00Z", "2026-01-01T01:50:00Z",
                  "2026-01-01T01:55:00Z", "2026-01-02T01:00:00Z"});
}

TEST_CASE("cron: month names, case-insensitive") {
    CHECK(upcoming("0 0 1 JAN,jul *", "2026-02-01T00:00:00Z", 2) ==
          strings{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"});
    CHECK(upcoming("0 0 1 mar-May *", "2026-01-15T00:00:00Z", 4) ==
          strings{"2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z", "2027-03-01T00:00:00Z"});
    CHECK(taskkit::cron::parse("0 0 1 jan-dec *") == taskkit::cron::parse("0 0 1 1-12 *"));
}

TEST_CASE("cron: weekday names, and 0 and 7 are both Sunday") {
    // The first Sunday of 2026 is January 4th.
    CHECK(upcoming("0 0 * * sun", "2026-01-01T00:00:00Z", 2) ==
          strings{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"});
    CHECK(upcoming("0 0 * * 0", "2026-01-01T00:00:00Z", 2) == strings{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"});
    CHECK(upcoming("0 0 * * 7", "2026-01-01T00:00:00Z", 2) == strings{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"});
    CHECK(upcoming("0 0 * * Sat,SUN", "2026-01-01T00:00:00Z", 3) ==
          strings{"2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-10T00:00:00Z"});
    // 5-7: Friday, Saturday, Sunday.
    CHECK(upcoming("0 0 * * 5-7", "2026-01-01T00:00:00Z", 4) ==
          strings{"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-09T00:00:00Z"});
    CHECK(taskkit::cron::parse("0 0 * * 7") == taskkit::cron::parse("0 0 * * 0"));
    CHECK(taskkit::cron::parse("0 0 * * 0-7") == taskkit::cron::parse("0 0 * * 0-6"));
}

TEST_CASE("cron: month ends") {
    // Months without a 31st are skipped (February, April, June).
    CHECK(upcoming("0 0 31 * *", "2026-01-31T00:00:00Z", 4) ==
          strings{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z"});
    CHECK(upcoming("0 0 30 * *", "2026-01-30T00:00:00Z", 2) == strings{"2026-03-30T00:00:00Z", "2026-04-30T00:00:00Z"});
    // Year rollover.
    CHECK(next("30 23 * * *", "2026-12-31T23:30:00Z") == "2027-01-01T23:30:00Z");
    CHECK(next("0 0 1 1 *", "2026-06-01T00:00:00Z") == "2027-01-01T00:00:00Z");
}

TEST_CASE("cron: L is the last day of the month") {
    CHECK(upcoming("0 12 L * *", "2026-01-31T12:00:00Z", 3) ==
          strings{"2026-02-28T12:00:00Z", "2026-03-31T12:00:00Z", "2026-04-30T12:00:00Z"});
    CHECK(next("0 12 L * *", "2028-01-31T12:00:00Z") == "2028-02-29T12:00:00Z");  // leap year
    CHECK(next("0 0 l 2 *", "2026-03-01T00:00:00Z") == "2027-02-28T00:00:00Z");   // lower case
    // L in a list with other days.
    CHECK(upcoming("0 0 15,L * *", "2026-02-01T00:00:00Z", 3) ==
          strings{"2026-02-15T00:00:00Z", "2026-02-28T00:00:00Z", "2026-03-15T00:00:00Z"});
}

TEST_CASE("cron: leap years") {
    CHECK(next("0 0 29 2 *", "2025-01-01T00:00:00Z") == "2028-02-29T00:00:00Z");
    CHECK(upcoming("0 0 29 2 *", "2025-01-01T00:00:00Z", 2) == strings{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"});
    // 2100 is not a leap year: from 2096 the next February 29th is in 2104.
    CHECK(next("0 0 29 2 *", "2096-03-01T00:00:00Z") == "2104-02-29T00:00:00Z");
    CHECK(next("0 0 29 2 *", "2000-01-01T00:00:00Z") == "2000-02-29T00:00:00Z");  // 2000 is
}

TEST_CASE("cron: nL is the last given weekday of the month") {
    // Fridays of January 2026: 2, 9, 16, 23, 30; of February: 6..27; of March: 6..27.
    CHECK(upcoming("0 0 * * 5L", "2026-01-01T00:00:00Z", 3) ==
          strings{"2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"});
    // Last Sunday, as 7L and 0L: January 25th, February 22nd, March 29th.
    const strings last_sundays{"2026-01-25T00:00:00Z", "2026-02-22T00:00:00Z", "2026-03-29T00:00:00Z"};
    CHECK(upcoming("0 0 * * 7L", "2026-01-01T00:00:00Z", 3) == last_sundays);
    CHECK(upcoming("0 0 * * 0L", "2026-01-01T00:00:00Z", 3) == last_sundays);
    CHECK(upcoming("0 0 * * SUNl", "2026-01-01T00:00:00Z", 1) == strings{"2026-01-25T00:00:00Z"});
    // Last Saturday of January 2026 is the 31st, the last day of the month.
    CHECK(next("0 0 * * 6L", "2026-01-01T00:00:00Z") == "2026-01-31T00:00:00Z");
    // Mixed with a plain weekday: Mondays and the last Friday.
    CHECK(upcoming("0 0 * * 1,5L", "2026-01-20T00:00:00Z", 3) ==
          strings{"2026-01-26T00:00:00Z", "2026-01-30T00:00:00Z", "2026-02-02T00:00:00Z"});
}

TEST_CASE("cron: day-of-month and day-of-week both restricted match either (OR)") {
    // The 13th or any Friday.
    CHECK(upcoming("0 0 13 * 5", "2026-01-01T00:00:00Z", 4) ==
          strings{"2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z"});
    // February 13th 2026 is a Friday: it fires once.
    CHECK(upcoming("0 0 13 * 5", "2026-02-01T00:00:00Z", 3) ==
          strings{"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z"});
    // The last day of the month or any Monday.
    CHECK(upcoming("0 0 L * 1", "2026-01-26T00:00:00Z", 2) == strings{"2026-01-31T00:00:00Z", "2026-02-02T00:00:00Z"});
    // 1-31 is restricted, so with a weekday it selects every day.
    CHECK(next("0 0 1-31 * 1", "2026-01-01T00:00:00Z") == "2026-01-02T00:00:00Z");
    // February 30th never happens, but Mondays in February do (Feb 2nd 2026).
    CHECK(next("0 0 30 2 1", "2026-01-01T00:00:00Z") == "2026-02-02T00:00:00Z");
}

TEST_CASE("cron: one day field unrestricted means the other one decides (AND)") {
    CHECK(next("0 0 13 * *", "2026-01-13T00:00:00Z") == "2026-02-13T00:00:00Z");
    CHECK(upcoming("0 0 * * 2", "2026-01-01T00:00:00Z", 2) == strings{"2026-01-06T00:00:00Z", "2026-01-13T00:00:00Z"});
    // ? is accepted as * in the day fields.
    CHECK(upcoming("0 0 ? * 2", "2026-01-01T00:00:00Z", 2) == strings{"2026-01-06T00:00:00Z", "2026-01-13T00:00:00Z"});
    CHECK(next("0 0 13 * ?", "2026-01-01T00:00:00Z") == "2026-01-13T00:00:00Z");
    // A day in one month: February 13th.
    CHECK(next("0 0 13 2 *", "2026-01-01T00:00:00Z") == "2026-02-13T00:00:00Z");
}

TEST_CASE("cron: nicknames") {
    CHECK(next("@hourly", "2026-01-01T10:15:00Z") == "2026-01-01T11:00:00Z");
    CHECK(next("@daily", "2026-01-01T10:00:00Z") == "2026-01-02T00:00:00Z");
    CHECK(next("@midnight", "2026-01-01T10:00:00Z") == "2026-01-02T00:00:00Z");
    CHECK(next("@weekly", "2026-01-01T10:00:00Z") == "2026-01-04T00:00:00Z");  // Sunday
    CHECK(next("@monthly", "2026-01-01T10:00:00Z") == "2026-02-01T00:00:00Z");
    CHECK(next("@yearly", "2026-01-01T10:00:00Z") == "2027-01-01T00:00:00Z");
    CHECK(next("@annually", "2026-01-01T10:00:00Z") == "2027-01-01T00:00:00Z");
    CHECK(next("@DAILY", "2026-01-01T10:00:00Z") == "2026-01-02T00:00:00Z");
    CHECK(taskkit::cron::parse("@daily") == taskkit::cron::parse("0 0 * * *"));
    CHECK(taskkit::cron::parse("@daily").to_string() == "@daily");
}

TEST_CASE("cron: text, whitespace and equality") {
    const auto weekdays = taskkit::cron::parse("  0 9 * * MON-FRI \t");
    CHECK(weekdays.to_string() == "0 9 * * MON-FRI");
    CHECK(weekdays == taskkit::cron::parse("0 9 * * 1-5"));
    CHECK(weekdays == taskkit::cron::parse("0\t9  *   * \t1,2,3-5"));
    CHECK_FALSE(weekdays == taskkit::cron::parse("0 9 * * 1-6"));
    CHECK(weekdays != taskkit::cron::parse("0 10 * * 1-5"));
    // * and 1-31 differ: only a restricted day-of-month takes part in the OR rule.
    CHECK(taskkit::cron::parse("0 0 * * 1") != taskkit::cron::parse("0 0 1-31 * 1"));
    const auto copy = weekdays;
    CHECK(copy == weekdays);
    CHECK(copy.to_string() == weekdays.to_string());
    CHECK(taskkit::cron::parse("0 * * * *").every_hour());
    CHECK_FALSE(taskkit::cron::parse("0 0-22 * * *").every_hour());
}

TEST_CASE("cron: upcoming") {
    const auto cron = taskkit::cron::parse("0 12 * * *");
    CHECK(cron.upcoming(utc("2026-01-01T00:00:00Z"), 0).empty());
    CHECK(cron_test::iso(cron.upcoming(utc("2026-01-01T00:00:00Z"), 3)) ==
          strings{"2026-01-01T12:00:00Z", "2026-01-02T12:00:00Z", "2026-01-03T12:00:00Z"});
    const auto many = cron.upcoming(utc("2026-01-01T00:00:00Z"), 400);
    REQUIRE(many.size() == 400);
    for (std::size_t i = 1; i < many.size(); ++i) CHECK(many[i] - many[i - 1] == std::chrono::hours(24));
    CHECK(cron_test::iso(many.back()) == "2027-02-04T12:00:00Z");  // day 400 after 2026-01-01
}

TEST_CASE("cron: times before 1970 and at the ends of system_clock") {
    CHECK(next("0 0 1 1 *", "1969-06-01T00:00:00Z") == "1970-01-01T00:00:00Z");
    CHECK(next("0 0 29 2 *", "1900-01-01T00:00:00Z") == "1904-02-29T00:00:00Z");  // 1900 is not a leap year
    const auto every_minute = taskkit::cron::parse("* * * * *");
    CHECK_NOTHROW((void)every_minute.next(std::chrono::system_clock::time_point::min()));
    REQUIRE_THROWS_AS((void)every_minute.next(std::chrono::system_clock::time_point::max()), taskkit::cron_error);
}
