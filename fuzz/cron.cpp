// libFuzzer target: arbitrary bytes as a cron expression. Parsing must either succeed or throw
// taskkit::cron_error; a parsed expression must compute fire times in several zones, each strictly
// after the previous one, and re-parse from its text to an equal value.
#include <taskkit/cron.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace {

using time_point = std::chrono::system_clock::time_point;

time_point at(std::int64_t seconds) { return time_point(std::chrono::seconds(seconds)); }

void check(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::optional<taskkit::cron> parsed;
    try {
        parsed = taskkit::cron::parse(text);
    } catch (const taskkit::cron_error& e) {
        check(std::string_view(e.what()).starts_with("invalid cron \""));
        return 0;
    }
    const taskkit::cron& cron = *parsed;
    check(taskkit::cron::parse(cron.to_string()) == cron);

    static const std::array<const date::time_zone*, 4> zones = {
        &taskkit::cron::locate_zone("UTC"), &taskkit::cron::locate_zone("America/New_York"),
        &taskkit::cron::locate_zone("Europe/Berlin"), &taskkit::cron::locate_zone("Australia/Lord_Howe")};
    // Just before the 2026 DST transitions of New York (March 8th, November 1st) and Berlin
    // (March 29th, October 25th), before the last leap day of the century (2096), and in 1900.
    static const std::array<time_point, 6> starts = {at(1772949600), at(1793509200), at(1774744200),
                                                     at(1792888200), at(3981225600), at(-2208988800)};
    // The zone and start come from the bytes, so the fuzzer explores them too.
    const std::size_t pick = size == 0 ? 0 : data[size - 1];
    const date::time_zone& zone = *zones[pick % zones.size()];
    const time_point start = starts[pick / zones.size() % starts.size()];

    time_point previous = start;
    for (const time_point t : cron.upcoming(start, 8, zone)) {
        check(t > previous);
        check(t - previous <= std::chrono::hours(24 * 366 * 9));  // every valid expression fires within 8 years
        previous = t;
    }
    check(cron.next(start, "UTC") > start);
    try {
        (void)cron.next(time_point::max() - std::chrono::hours(24 * 366 * 10), zone);
    } catch (const taskkit::cron_error&) {
        // beyond the range of system_clock: allowed
    }
    return 0;
}
