// taskkit::cron against a slow reference: random expressions, built together with the sets of
// values they select, checked minute by minute in real time around daylight-saving transitions.
// The reference applies the documented rule directly:
//   every-hour schedules fire at each instant whose local time matches;
//   other schedules fire at each instant whose local time matches unless that local time already
//   happened earlier (a fall-back repeat), and at the first instant after a spring-forward gap
//   in which some local time matches.
#include "support/catch.hpp"

#include "cron_test_support.hpp"

#include <taskkit/cron.hpp>

#include <array>
#include <bitset>
#include <random>
#include <string>

namespace {

struct schedule {
    std::string text;
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<32> days;
    bool last_day = false;
    std::bitset<13> months;
    std::bitset<7> weekdays;
    std::bitset<7> last_weekdays;
    bool days_star = true;
    bool weekdays_star = true;
};

template <std::size_t N>
std::string random_field(std::mt19937& rng, int lo, int hi, double star, std::bitset<N>& set, bool& is_star) {
    std::uniform_real_distribution<double> coin(0, 1);
    const double r = coin(rng);
    is_star = false;
    if (r < star) {
        is_star = true;
        for (int v = lo; v <= hi; ++v) set.set(static_cast<std::size_t>(v));
        return "*";
    }
    std::uniform_int_distribution<int> value(lo, hi);
    if (r < star + (1 - star) / 3) {  // step
        const int step = std::uniform_int_distribution<int>(1, std::max(1, (hi - lo) / 2))(rng);
        const int start = std::uniform_int_distribution<int>(lo, lo + step - 1)(rng);
        for (int v = start; v <= hi; v += step) set.set(static_cast<std::size_t>(v));
        return (start == lo ? std::string("*") : std::to_string(start)) + "/" + std::to_string(step);
    }
    std::string text;
    const int count = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int i = 0; i < count; ++i) {
        int a = value(rng);
        int b = value(rng);
        if (a > b) std::swap(a, b);
        if (!text.empty()) text += ",";
        if (coin(rng) < 0.5) {
            text += std::to_string(a);
            set.set(static_cast<std::size_t>(a));
        } else {
            text += std::to_string(a) + "-" + std::to_string(b);
            for (int v = a; v <= b; ++v) set.set(static_cast<std::size_t>(v));
        }
    }
    return text;
}

schedule random_schedule(std::mt19937& rng) {
    schedule s;
    bool star = false;
    std::bitset<32> days;
    std::bitset<8> weekdays;
    const std::string minute = random_field(rng, 0, 59, 0.2, s.minutes, star);
    const std::string hour = random_field(rng, 0, 23, 0.4, s.hours, star);
    std::string day = random_field(rng, 1, 31, 0.7, days, s.days_star);
    s.days = days;
    if (!s.days_star && std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
        day += ",L";
        s.last_day = true;
    }
    const std::string month = random_field(rng, 1, 12, 0.8, s.months, star);
    std::string weekday = random_field(rng, 0, 6, 0.7, weekdays, s.weekdays_star);
    for (std::size_t w = 0; w < 7; ++w) s.weekdays[w] = weekdays[w];
    if (!s.weekdays_star && std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
        const int w = std::uniform_int_distribution<int>(0, 6)(rng);
        weekday += "," + std::to_string(w) + "L";
        s.last_weekdays.set(static_cast<std::size_t>(w));
    }
    s.text = minute + " " + hour + " " + day + " " + month + " " + weekday;
    return s;
}

bool matches(const schedule& s, date::local_seconds local) {
    const auto day = std::chrono::floor<date::days>(local);
    const date::year_month_day ymd(day);
    const auto in_day = std::chrono::floor<std::chrono::minutes>(local - day).count();
    if (!s.minutes[static_cast<std::size_t>(in_day % 60)] || !s.hours[static_cast<std::size_t>(in_day / 60)]) {
        return false;
    }
    if (!s.months[static_cast<unsigned>(ymd.month())]) return false;
    const unsigned d = static_cast<unsigned>(ymd.day());
    const unsigned last =
        static_cast<unsigned>(date::year_month_day_last(ymd.year(), date::month_day_last(ymd.month())).day());
    const unsigned w = date::weekday(day).c_encoding();
    const bool by_day = s.days[d] || (s.last_day && d == last);
    const bool by_weekday = s.weekdays[w] || (s.last_weekdays[w] && d + 7 > last);
    if (!s.days_star && !s.weekdays_star) return by_day || by_weekday;
    return by_day && by_weekday;
}

/// The reference: the first fire instant after `after`, scanning whole UTC minutes (the zones used
/// have whole-minute offsets), or nullopt within `limit`.
std::optional<date::sys_seconds> reference_next(const schedule& s, date::sys_seconds after, const date::time_zone& zone,
                                                std::chrono::minutes limit) {
    const bool every_hour = s.hours.all();
    auto u = std::chrono::floor<std::chrono::minutes>(after) + std::chrono::minutes(1);
    date::sys_info info = zone.get_info(u);
    for (auto end = u + limit; u < end; u += std::chrono::minutes(1)) {
        if (u >= info.end) info = zone.get_info(u);
        const date::local_seconds local{(u + info.offset).time_since_epoch()};
        if (!every_hour && info.begin == u) {  // the first minute of a period: a gap just ended?
            const date::sys_info before = zone.get_info(u - std::chrono::seconds(1));
            if (info.offset > before.offset) {
                for (auto l = date::local_seconds{(u + before.offset).time_since_epoch()}; l < local;
                     l += std::chrono::minutes(1)) {
                    if (matches(s, l)) return u;
                }
            }
        }
        if (!matches(s, local)) continue;
        if (every_hour) return u;
        // A repeat: the same local time under an earlier period's larger offset.
        const date::sys_info before = zone.get_info(info.begin - std::chrono::seconds(1));
        const bool repeated =
            before.offset > info.offset && local < date::local_seconds{(info.begin + before.offset).time_since_epoch()};
        if (!repeated) return u;
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("cron reference: random expressions around DST transitions agree with a minute-by-minute scan") {
    std::mt19937 rng(20260308);
    const std::array<const char*, 5> zones = {"America/New_York", "Europe/Berlin", "Australia/Sydney",
                                              "Australia/Lord_Howe", "UTC"};
    const std::array<const char*, 6> around = {"2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z", "2026-03-29T01:00:00Z",
                                               "2026-10-25T01:00:00Z", "2026-04-04T15:00:00Z", "2026-10-03T16:00:00Z"};
    int compared = 0;
    for (int i = 0; i < 400; ++i) {
        const schedule s = random_schedule(rng);
        const auto cron = taskkit::cron::parse(s.text);
        const auto& zone = taskkit::cron::locate_zone(zones[static_cast<std::size_t>(i) % zones.size()]);
        const auto center = cron_test::utc(around[static_cast<std::size_t>(i / 5) % around.size()]);
        const auto after = center + std::chrono::seconds(std::uniform_int_distribution<int>(-2 * 86400, 86400)(rng));
        const auto expected =
            reference_next(s, std::chrono::floor<std::chrono::seconds>(after), zone, std::chrono::hours(24 * 40));
        if (!expected) continue;
        ++compared;
        INFO("expression: " << s.text << " zone: " << zone.name() << " after: " << cron_test::iso(after));
        auto actual = cron.next(after, zone);
        CHECK(cron_test::iso(actual) == cron_test::iso(*expected));
        // And the one after that, from the fire time itself.
        const auto expected2 = reference_next(s, *expected, zone, std::chrono::hours(24 * 40));
        if (expected2) CHECK(cron_test::iso(cron.next(actual, zone)) == cron_test::iso(*expected2));
    }
    CHECK(compared > 300);
}
