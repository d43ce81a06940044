/// @file schedule/detail/declared_schedule.hpp
/// A scheduled task as its registry knows it. Internal to the schedule integration.
#pragma once

#include <string>

namespace taskkit::detail {

/// A scheduled task as its registry knows it: its id and its declarative cron (if any).
struct declared_schedule {
    std::string task_id;
    std::string pattern;  ///< empty: no declarative schedule
    std::string timezone;
};

}  // namespace taskkit::detail
