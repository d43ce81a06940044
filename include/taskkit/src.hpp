/// @file src.hpp
/// Separate compilation: the definitions of taskkit's non-template functions, for exactly one
/// source file of a program built with TASKKIT_SEPARATE_COMPILATION defined everywhere.
/// @code
/// // taskkit.cpp, compiled once (with -DTASKKIT_SEPARATE_COMPILATION, like every other file)
/// #include <taskkit/src.hpp>
/// @endcode
/// Header-only builds (the default) do not need it. See docs/integration.md.
#pragma once

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#error "<taskkit/src.hpp> is for separate compilation: define TASKKIT_SEPARATE_COMPILATION for every translation unit"
#endif

#include <taskkit/taskkit.hpp>

#include <taskkit/clock.ipp>
#include <taskkit/detail/decode_failure.ipp>
#include <taskkit/detail/exception_info.ipp>
#include <taskkit/detail/queue_state.ipp>
#include <taskkit/detail/run_index.ipp>
#include <taskkit/detail/run_state.ipp>
#include <taskkit/detail/runtime_engine.hpp>
#include <taskkit/detail/runtime_engine.ipp>
#include <taskkit/detail/task_definition.ipp>
#include <taskkit/detail/timer_queue.ipp>
#include <taskkit/error.ipp>
#include <taskkit/logger.ipp>
#include <taskkit/queue.ipp>
#include <taskkit/queue_options.ipp>
#include <taskkit/registry.ipp>
#include <taskkit/retry.ipp>
#include <taskkit/run_context.ipp>
#include <taskkit/run_filter.ipp>
#include <taskkit/run_metadata.ipp>
#include <taskkit/run_record.ipp>
#include <taskkit/run_store.ipp>
#include <taskkit/runtime.ipp>
#include <taskkit/trigger_options.ipp>
#include <taskkit/wait.ipp>
