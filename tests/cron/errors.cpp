// taskkit::cron: every kind of invalid expression gives a taskkit::cron_error whose message names
// the expression, the field and the reason.
#include "support/catch.hpp"

#include "cron_test_support.hpp"

#include <taskkit/cron.hpp>

#include <string>
#include <vector>

namespace {

struct invalid_case {
    std::string expression;
    std::string expected;  ///< a part of the message: the field and the reason
};

}  // namespace

TEST_CASE("cron errors: the message of the issue's example, exactly") {
    REQUIRE_THROWS_AS(taskkit::cron::parse("0 25 * * *"), taskkit::cron_error);
    REQUIRE_THROWS_WITH(taskkit::cron::parse("0 25 * * *"),
                        "invalid cron \"0 25 * * *\": hour field: 25 is out of range 0-23");
    REQUIRE_THROWS_AS(taskkit::cron::parse("0 25 * * *"), taskkit::error);  // the hierarchy's root
}

TEST_CASE("cron errors: each kind of invalid expression") {
    const std::vector<invalid_case> cases = {
        // The shape of the expression.
        {"", "the expression is empty"},
        {" \t ", "the expression is empty"},
        {"0 0 * *", "expected 5 fields (minute hour day-of-month month day-of-week) but got 4"},
        {"0 0 * * * *", "but got 6; taskkit::cron has no seconds field"},
        {"0 0 * * * * *", "but got 7"},
        {"@reboot", "@reboot is not supported"},
        {"@fortnightly", "unknown nickname '@fortnightly'"},
        // Out of range, per field.
        {"60 * * * *", "minute field: 60 is out of range 0-59"},
        {"0 24 * * *", "hour field: 24 is out of range 0-23"},
        {"0 0 0 * *", "day-of-month field: 0 is out of range 1-31"},
        {"0 0 32 * *", "day-of-month field: 32 is out of range 1-31"},
        {"0 0 * 0 *", "month field: 0 is out of range 1-12"},
        {"0 0 * 13 *", "month field: 13 is out of range 1-12"},
        {"0 0 * * 8", "day-of-week field: 8 is out of range 0-7"},
        {"0 0-24 * * *", "hour field: 24 is out of range 0-23"},
        // Numbers that would overflow an int, and negative numbers.
        {"99999999999999999999 * * * *", "minute field: 99999999999999999999 is out of range 0-59"},
        {"0 0 4294967297 * *", "day-of-month field: 4294967297 is out of range 1-31"},
        {"-5 * * * *", "minute field: negative values are not allowed ('-5')"},
        {"0 -1 * * *", "hour field: negative values are not allowed"},
        // Ranges.
        {"5-1 * * * *", "minute field: range 5-1 is backwards (its start is greater than its end)"},
        {"0 0 * * FRI-MON", "day-of-week field: range FRI-MON is backwards"},
        {"0 0 * DEC-JAN *", "month field: range DEC-JAN is backwards"},
        {"0 0 1-2-3 * *", "day-of-month field: unexpected character '-' in '1-2-3'"},
        {"0 0 * 1- *", "month field: missing value at the end of '1-'"},
        // Steps.
        {"*/0 * * * *", "minute field: step 0 in '*/0' must be at least 1"},
        {"0 0 * * 1/0", "day-of-week field: step 0 in '1/0' must be at least 1"},
        {"*/x * * * *", "minute field: step in '*/x' is not a number"},
        {"*/ * * * *", "minute field: missing step after '/' in '*/'"},
        {"*/61 * * * *", "minute field: step 61 is out of range 1-60"},
        {"0 */25 * * *", "hour field: step 25 is out of range 1-24"},
        {"*/5/5 * * * *", "minute field: unexpected character '/' in '*/5/5'"},
        // Names.
        {"0 0 * FOO *", "month field: unknown month name 'FOO' (use JAN-DEC or 1-12)"},
        {"0 0 * JAN-FOO *", "month field: unknown month name 'FOO'"},
        {"0 0 * JANUARY *", "month field: unknown month name 'JANUARY'"},
        {"0 0 * * FUN", "day-of-week field: unknown weekday name 'FUN' (use SUN-SAT or 0-7)"},
        {"JAN * * * *", "minute field: 'JAN' is not a number (expected 0-59)"},
        {"0 MON * * *", "hour field: 'MON' is not a number (expected 0-23)"},
        // Garbage characters.
        {"1$ * * * *", "minute field: unexpected character '$' in '1$'"},
        {"1.5 * * * *", "minute field: unexpected character '.' in '1.5'"},
        {"*5 * * * *", "minute field: unexpected character '5' in '*5'"},
        {"0 0 * * \xC3\xA9", "day-of-week field: unexpected character '\\xC3'"},
        {"0 0 * * 1\"", "day-of-week field: unexpected character '\\\"'"},
        // L and its relatives in the wrong place.
        {"L * * * *", "minute field: L is only allowed in day-of-month (last day) and day-of-week (e.g. 5L)"},
        {"0 0 * L *", "month field: L is only allowed in day-of-month"},
        {"0 0 L/2 * *", "day-of-month field: 'L/2': L (last day of the month) cannot take a range, step or offset"},
        {"0 0 1-L * *", "day-of-month field: '1-L': L (last day of the month) cannot be part of a range"},
        {"0 0 L-3 * *", "day-of-month field: 'L-3': L (last day of the month) cannot take"},
        {"0 0 * * L", "day-of-week field: L in day-of-week needs a weekday before it"},
        {"0 0 * * 8L", "day-of-week field: 8 is out of range 0-7"},
        {"0 0 * * 5L-6", "day-of-week field: '5L-6': nL cannot take a range or step"},
        {"0 0 15W * *", "day-of-month field: '15W': W (nearest weekday) is not supported"},
        {"0 0 LW * *", "day-of-month field: 'LW': W (nearest weekday) is not supported"},
        {"0 0 * * 5#3", "day-of-week field: '5#3': # (nth weekday of the month) is not supported"},
        // Lists.
        {"1,2, * * * *", "minute field: empty list element (trailing comma)"},
        {"1,,2 * * * *", "minute field: empty list element (two commas in a row)"},
        {",1 * * * *", "minute field: empty list element (the field starts with a comma)"},
        {", * * * *", "minute field: empty list element (the field starts with a comma)"},
        // ? outside the day fields, or not alone.
        {"? * * * *", "minute field: ? is only allowed in day-of-month and day-of-week"},
        {"0 0 1,? * *", "day-of-month field: ? must stand alone in its field"},
        // Days that never occur in the selected months.
        {"0 0 30 2 *", "day-of-month field: day 30 never occurs in February, so the schedule would never fire"},
        {"0 0 31 4,6,9,11 *", "day-of-month field: day 31 never occurs in April, June, September or November"},
        {"0 0 30,31 FEB *", "day-of-month field: days 30,31 never occur in February"},
    };
    REQUIRE(cases.size() >= 20);
    for (const auto& c : cases) {
        INFO("expression: " << c.expression);
        CHECK_THROWS_AS(taskkit::cron::parse(c.expression), taskkit::cron_error);
        const std::string message = cron_test::parse_error(c.expression);
        INFO("message: " << message);
        CHECK(cron_test::contains(message, "invalid cron \""));
        CHECK(cron_test::contains(message, c.expected));
    }
}

TEST_CASE("cron errors: the expression is quoted safely and shortened") {
    const std::string message = cron_test::parse_error(std::string(200, '9') + " * * * *");
    CHECK(message.size() < 400);
    CHECK(cron_test::contains(message, "...\": minute field:"));
    CHECK(cron_test::contains(cron_test::parse_error(std::string("0 0 * *\0 *", 11)), "\\x00"));
}

TEST_CASE("cron errors: valid neighbours of the invalid expressions") {
    // February 29th exists in leap years; the 31st exists in some of the months; L always exists.
    CHECK_NOTHROW(taskkit::cron::parse("0 0 29 2 *"));
    CHECK_NOTHROW(taskkit::cron::parse("0 0 31 4,5 *"));
    CHECK_NOTHROW(taskkit::cron::parse("0 0 L 2 *"));
    CHECK_NOTHROW(taskkit::cron::parse("0 0 30 2 MON"));  // OR rule: Mondays in February
    CHECK_NOTHROW(taskkit::cron::parse("0 0 * * 0L"));
    CHECK_NOTHROW(taskkit::cron::parse("0 0 * * 7L"));
    CHECK_NOTHROW(taskkit::cron::parse("0 0 * * 0-7"));
    CHECK_NOTHROW(taskkit::cron::parse("*/60 */24 */31 */12 */7"));
    CHECK_NOTHROW(taskkit::cron::parse("0 0 ? * ?"));
}
