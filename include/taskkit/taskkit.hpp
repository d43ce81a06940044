/// @file taskkit.hpp
/// Everything of taskkit's core: tasks, runtime, run handles, retries, queues, machines.
/// Optional integrations (cron schedules, JSON Schema, durable backends, HTTP) have their own headers.
#pragma once

#include <taskkit/backend/backend.hpp>
#include <taskkit/backend/memory_backend.hpp>
#include <taskkit/batch.hpp>
#include <taskkit/clock.hpp>
#include <taskkit/error.hpp>
#include <taskkit/fwd.hpp>
#include <taskkit/logger.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/metadata_change.hpp>
#include <taskkit/queue.hpp>
#include <taskkit/queue_options.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/result.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/retry_on_throw.hpp>
#include <taskkit/run_context.hpp>
#include <taskkit/run_filter.hpp>
#include <taskkit/run_handle.hpp>
#include <taskkit/run_metadata.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>
#include <taskkit/run_update.hpp>
#include <taskkit/runtime.hpp>
#include <taskkit/runtime_options.hpp>
#include <taskkit/stream_reader.hpp>
#include <taskkit/stream_writer.hpp>
#include <taskkit/subscription.hpp>
#include <taskkit/task.hpp>
#include <taskkit/task_options.hpp>
#include <taskkit/trigger_options.hpp>
#include <taskkit/wait.hpp>
