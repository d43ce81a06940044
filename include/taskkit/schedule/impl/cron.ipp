/// @file schedule/impl/cron.ipp
/// The definitions of what <taskkit/schedule/cron.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/schedule/src.hpp>
/// (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/schedule/cron.hpp>

#include <taskkit/schedule/detail/cron_parser.hpp>

namespace taskkit {

TASKKIT_DECL auto cron::parse(std::string_view expression) -> cron {
    detail::cron_parse_result result = detail::cron_parse(expression);
    if (!result.error.empty()) {
        throw cron_error(
            detail::cron_concat({"invalid cron \"", detail::cron_printable(expression), "\": ", result.error}));
    }
    return cron(trim(expression), result.fields);
}

TASKKIT_DECL auto cron::next(time_point after, std::string_view zone) const -> time_point {
    return next(after, locate_zone(zone));
}

TASKKIT_DECL auto cron::next(time_point after, const date::time_zone& zone) const -> time_point {
    const std::int64_t after_seconds = std::chrono::floor<std::chrono::seconds>(after).time_since_epoch().count();
    const std::int64_t fire = next_instant(after_seconds, zone);
    if (fire > max_seconds()) {
        throw cron_error(
            detail::cron_concat({"cron \"", detail::cron_printable(text_),
                                 "\": the next fire time is beyond the range of std::chrono::system_clock"}));
    }
    return time_point(std::chrono::duration_cast<time_point::duration>(std::chrono::seconds(fire)));
}

TASKKIT_DECL auto cron::upcoming(time_point after, std::size_t count, std::string_view zone) const
    -> std::vector<time_point> {
    return upcoming(after, count, locate_zone(zone));
}

TASKKIT_DECL auto cron::upcoming(time_point after, std::size_t count, const date::time_zone& zone) const
    -> std::vector<time_point> {
    std::vector<time_point> times;
    times.reserve(std::min<std::size_t>(count, 4096));
    for (std::size_t i = 0; i < count; ++i) {
        after = next(after, zone);
        times.push_back(after);
    }
    return times;
}

TASKKIT_DECL auto cron::locate_zone(std::string_view name) -> const date::time_zone& {
    try {
#if HAS_STRING_VIEW
        return *date::locate_zone(name);
#else
        return *date::locate_zone(std::string(name));
#endif
    } catch (const std::exception& e) {
        throw cron_error(
            detail::cron_concat({"unknown time zone \"", detail::cron_printable(name),
                                 "\": use an IANA name such as \"Europe/Berlin\" or \"UTC\" (", e.what(), ")"}));
    }
}

TASKKIT_DECL auto cron::is_valid_timezone(std::string_view name) noexcept -> bool {
    try {
        (void)locate_zone(name);
        return true;
    } catch (...) {
        return false;
    }
}

TASKKIT_DECL auto cron::trim(std::string_view text) noexcept -> std::string_view {
    while (!text.empty() && detail::ascii_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && detail::ascii_space(text.back())) text.remove_suffix(1);
    return text;
}

TASKKIT_DECL auto cron::next_instant(std::int64_t after, const date::time_zone& zone) const -> std::int64_t {
    using date::sys_seconds;
    using std::chrono::seconds;
    // Every valid expression fires within 8 years (February 29th across a non-leap 2100);
    // the horizon only bounds the work for an expression that could somehow never fire.
    constexpr std::int64_t horizon = 20 * 366 * detail::seconds_per_day;
    const bool wall_clock = !every_hour();

    std::int64_t low = after + 1;
    const std::int64_t stop = low + horizon;
    date::sys_info info = zone.get_info(sys_seconds(seconds(low)));
    std::int64_t previous_offset = info.offset.count();
    if (wall_clock && info.begin.time_since_epoch().count() > unbounded_past) {
        previous_offset = zone.get_info(info.begin - seconds(1)).offset.count();
    }
    for (;;) {
        const std::int64_t offset = info.offset.count();
        const std::int64_t begin = info.begin.time_since_epoch().count();
        const std::int64_t end = std::min(info.end.time_since_epoch().count(), stop);
        std::int64_t local_low = low + offset;
        // After a fall-back, local times up to the old offset already happened in the last period.
        if (wall_clock && previous_offset > offset) local_low = std::max(local_low, begin + previous_offset);
        if (const auto local = detail::cron_next_local(fields_, local_low, end + offset)) return *local - offset;
        if (end >= stop) break;

        date::sys_info following = zone.get_info(sys_seconds(seconds(end)));
        const std::int64_t next_offset = following.offset.count();
        // Spring-forward: local times in [end + offset, end + next_offset) do not exist; a selected
        // one fires once, at the first instant after the gap (which is `end`).
        if (wall_clock && next_offset > offset && detail::cron_next_local(fields_, end + offset, end + next_offset)) {
            return end;
        }
        previous_offset = offset;
        info = std::move(following);
        low = end;
    }
    throw cron_error(
        detail::cron_concat({"cron \"", detail::cron_printable(text_), "\": no fire time within 20 years"}));
}

}  // namespace taskkit
