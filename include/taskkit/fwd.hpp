/// @file fwd.hpp
/// Forward declarations of taskkit's public types, for headers that only name them (a member
/// `taskkit::run_handle<int>* pending;`, a function taking `taskkit::runtime&`): cheaper to
/// include than the headers that define them, as nlohmann's json_fwd.hpp is.
/// @code
/// // jobs.hpp, a user's header
/// #include <taskkit/fwd.hpp>
/// extern const taskkit::task<order, receipt> charge;
/// void start_jobs(taskkit::runtime& rt);
/// @endcode
/// The default template arguments (task<P, R = void>, run_handle<R = nlohmann::json>, …) are
/// given here, once; the defining headers include this one.
#pragma once

#include <nlohmann/json_fwd.hpp>

namespace taskkit {

// error.hpp
enum class error_code;
class error;

// run_status.hpp, run_record.hpp
enum class run_status;
enum class log_level;
struct error_info;
struct log_entry;
struct attempt_record;
struct run_record;

// result.hpp, machine.hpp, retry.hpp, queue_options.hpp, queue.hpp
template <class R>
class result;
struct machine;
struct retry_options;
struct rate_limit;
struct queue_options;
class queue;

// queue_stats.hpp, queue_controls.hpp, task_description.hpp
struct queue_key_stats;
struct queue_stats;
class queue_controls;
struct task_description;

// clock.hpp, logger.hpp, run_metadata.hpp, run_context.hpp
class clock;
class real_clock;
class virtual_clock;
class logger;
class run_metadata;
class run_context;

// wait_info.hpp, locals.hpp, hook_context.hpp, global_hooks.hpp
enum class wait_kind;
struct wait_info;
template <class T>
class local;
class locals;
class hook_context;
class global_hooks;
class hook_registration;

// task_options.hpp, task.hpp, registry.hpp
template <class P, class R = void>
struct task_options;
struct error_decision;
template <class P, class R = void>
class task;
class registry;

// debounce.hpp, trigger_options.hpp, run_handle.hpp, batch.hpp
enum class debounce_mode;
enum class idempotency_scope;
struct debounce_options;
class run_delay;
struct trigger_options;
template <class R = nlohmann::json>
class run_handle;
template <class P>
struct batch_item;

// run_filter.hpp, runtime_options.hpp, runtime.hpp
struct run_filter;
struct run_facts;
struct run_page;
struct page_cursor;
struct runtime_options;
struct status_event;
class subscription;
class runtime;

// metadata_change.hpp, run_update.hpp, stream_writer.hpp, stream_reader.hpp: realtime
enum class metadata_operation;
struct metadata_change;
enum class update_kind;
struct run_update;
class stream_writer;
class stream_reader;
struct stream_chunk;
struct stream_record;

// waitpoint_options.hpp, waitpoint_token.hpp, waitpoint_record.hpp
struct token_options;
struct waitpoint_token;
enum class token_status;
enum class token_completion;
struct token_record;
struct token_filter;

// backend/*.hpp: the seam between a runtime and where its runs live
class backend;
class backend_host;
class local_run;
struct backend_traits;
struct run_request;
struct created_run;
struct lease;
struct claimed_run;
struct attempt_outcome;
struct wait_spec;
struct run_event;
struct token_request;
struct created_token;
struct memory_backend_options;

namespace detail {
class runtime_core;
}  // namespace detail

}  // namespace taskkit
