/// @file schedule/detail/config.hpp
/// How the schedule integration's non-template functions are compiled: as the core's (see
/// <taskkit/detail/config.hpp>), header-only by default, or once for the program in
/// <taskkit/schedule/src.hpp> under TASKKIT_SEPARATE_COMPILATION. Not for users to include.
#pragma once

#include <taskkit/detail/config.hpp>

// CMake's taskkit::cron is the header-only target (it defines TASKKIT_CRON_HEADER_ONLY); in
// separate compilation the definitions come from taskkit::cron_compiled instead.
#if defined(TASKKIT_SEPARATE_COMPILATION) && defined(TASKKIT_CRON_HEADER_ONLY)
#error \
    "taskkit: taskkit::cron is header-only and this file is in separate compilation (taskkit::compiled): link taskkit::cron_compiled instead of taskkit::cron"
#endif
