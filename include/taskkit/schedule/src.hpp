/// @file schedule/src.hpp
/// Separate compilation of the schedule integration: the definitions of its non-template
/// functions (cron, schedule_time, scheduled_task, the schedules of a runtime), for exactly one
/// source file of a program built with TASKKIT_SEPARATE_COMPILATION defined everywhere, beside the
/// one that includes <taskkit/src.hpp>. CMake's taskkit::cron_compiled is that file. See
/// docs/integration.md.
#pragma once

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#error \
    "<taskkit/schedule/src.hpp> is for separate compilation: define TASKKIT_SEPARATE_COMPILATION for every translation unit"
#endif

#include <taskkit/schedule/cron.hpp>
#include <taskkit/schedule/detail/schedule_extension.hpp>
#include <taskkit/schedule/schedule_manager.hpp>
#include <taskkit/schedule/schedule_payload.hpp>
#include <taskkit/schedule/schedule_time.hpp>
#include <taskkit/schedule/scheduled_task.hpp>

#include <taskkit/schedule/detail/impl/schedule_extension.ipp>
#include <taskkit/schedule/impl/cron.ipp>
#include <taskkit/schedule/impl/schedule_manager.ipp>
#include <taskkit/schedule/impl/schedule_payload.ipp>
#include <taskkit/schedule/impl/schedule_time.ipp>
#include <taskkit/schedule/impl/scheduled_task.ipp>
