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

#include <taskkit/backend/impl/memory_backend.ipp>
#include <taskkit/backend/impl/run_request.ipp>

#include <taskkit/detail/attempt.hpp>
#include <taskkit/detail/executor.hpp>
#include <taskkit/detail/impl/attempt.ipp>
#include <taskkit/detail/impl/decode_failure.ipp>
#include <taskkit/detail/impl/exception_info.ipp>
#include <taskkit/detail/impl/executor.ipp>
#include <taskkit/detail/impl/executor_tokens.ipp>
#include <taskkit/detail/impl/memory_backend.ipp>
#include <taskkit/detail/impl/memory_backend_tokens.ipp>
#include <taskkit/detail/impl/payload_decoding.ipp>
#include <taskkit/detail/impl/queue_state.ipp>
#include <taskkit/detail/impl/run_index.ipp>
#include <taskkit/detail/impl/run_state.ipp>
#include <taskkit/detail/impl/task_definition.ipp>
#include <taskkit/detail/impl/timer_queue.ipp>
#include <taskkit/detail/impl/token_creation.ipp>
#include <taskkit/detail/impl/token_store.ipp>
#include <taskkit/detail/memory_backend.hpp>
#include <taskkit/impl/clock.ipp>
#include <taskkit/impl/error.ipp>
#include <taskkit/impl/global_hooks.ipp>
#include <taskkit/impl/hook_context.ipp>
#include <taskkit/impl/locals.ipp>
#include <taskkit/impl/logger.ipp>
#include <taskkit/impl/metadata_change.ipp>
#include <taskkit/impl/queue.ipp>
#include <taskkit/impl/queue_controls.ipp>
#include <taskkit/impl/queue_options.ipp>
#include <taskkit/impl/registry.ipp>
#include <taskkit/impl/retry.ipp>
#include <taskkit/impl/run_context.ipp>
#include <taskkit/impl/run_filter.ipp>
#include <taskkit/impl/run_metadata.ipp>
#include <taskkit/impl/run_record.ipp>
#include <taskkit/impl/runtime.ipp>
#include <taskkit/impl/stream_reader.ipp>
#include <taskkit/impl/stream_writer.ipp>
#include <taskkit/impl/trigger_options.ipp>
#include <taskkit/impl/wait.ipp>
#include <taskkit/impl/waitpoint_record.ipp>
