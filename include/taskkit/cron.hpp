/// @file cron.hpp
/// taskkit::cron, cron expressions read in IANA time zones: the entry header of the schedule
/// integration's cron part (the headers themselves are in taskkit/schedule/).
///
/// An optional integration: it needs Howard Hinnant's date/tz (link `taskkit::cron`, or
/// `taskkit::cron_compiled` with `taskkit::compiled`), and the umbrella header `taskkit.hpp` does
/// not include it. See docs/cron.md.
#pragma once

#include <taskkit/schedule/cron.hpp>
