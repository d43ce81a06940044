/// @file schema/src.hpp
/// Separate compilation of the schema integration: the definitions of its non-template functions
/// (json_schema, schema_task's helpers), for exactly one source file of a program built with
/// TASKKIT_SEPARATE_COMPILATION defined everywhere, beside the one that includes <taskkit/src.hpp>.
/// CMake's taskkit::schema_compiled is that file. See docs/integration.md.
#pragma once

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#error \
    "<taskkit/schema/src.hpp> is for separate compilation: define TASKKIT_SEPARATE_COMPILATION for every translation unit"
#endif

#include <taskkit/schema/json_schema.hpp>
#include <taskkit/schema/schema_error.hpp>
#include <taskkit/schema/schema_task.hpp>

#include <taskkit/schema/impl/json_schema.ipp>
#include <taskkit/schema/impl/schema_error.ipp>
#include <taskkit/schema/impl/schema_task.ipp>
