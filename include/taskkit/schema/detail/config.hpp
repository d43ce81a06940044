/// @file schema/detail/config.hpp
/// How the schema integration's non-template functions are compiled: as the core's (see
/// <taskkit/detail/config.hpp>), header-only by default, or once for the program in
/// <taskkit/schema/src.hpp> under TASKKIT_SEPARATE_COMPILATION. Not for users to include.
#pragma once

#include <taskkit/detail/config.hpp>

// CMake's taskkit::schema is the header-only target (it defines TASKKIT_SCHEMA_HEADER_ONLY); in
// separate compilation the definitions come from taskkit::schema_compiled instead.
#if defined(TASKKIT_SEPARATE_COMPILATION) && defined(TASKKIT_SCHEMA_HEADER_ONLY)
#error \
    "taskkit: taskkit::schema is header-only and this file is in separate compilation (taskkit::compiled): link taskkit::schema_compiled instead of taskkit::schema"
#endif
