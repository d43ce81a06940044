/// @file impl/run_record.ipp
/// The definitions of what <taskkit/run_record.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/run_record.hpp>

namespace taskkit {

TASKKIT_DECL auto error_info::rethrow() const -> void {
    if (exception) std::rethrow_exception(exception);
    throw run_failed_error(message);
}

}  // namespace taskkit

namespace taskkit::detail {

TASKKIT_DECL std::int64_t to_millis(time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TASKKIT_DECL nlohmann::json optional_millis(const std::optional<time_point>& t) {
    return t ? nlohmann::json(to_millis(*t)) : nlohmann::json(nullptr);
}

}  // namespace taskkit::detail

namespace taskkit {

// Objects are built key by key: a braced initializer list instantiates nlohmann's json_ref and its
// constructor checks once per key length and value type, which made these four functions the
// costliest part of including taskkit (docs/performance.md, compile time). For the same reason
// empty objects come from detail::empty_object(), not json::object().

TASKKIT_DECL void to_json(nlohmann::json& j, const error_info& e) {
    j = detail::empty_object();
    j["type"] = e.type;
    j["message"] = e.message;
    if (e.code) j["code"] = to_string(*e.code);
}

TASKKIT_DECL void to_json(nlohmann::json& j, const log_entry& e) {
    j = detail::empty_object();
    j["time"] = detail::to_millis(e.time);
    j["level"] = to_string(e.level);
    j["message"] = e.message;
    j["attributes"] = e.attributes;
    j["attempt"] = e.attempt;
}

TASKKIT_DECL void to_json(nlohmann::json& j, const attempt_record& a) {
    j = detail::empty_object();
    j["number"] = a.number;
    j["started_at"] = detail::to_millis(a.started_at);
    j["finished_at"] = detail::optional_millis(a.finished_at);
    j["error"] = a.error ? nlohmann::json(*a.error) : nlohmann::json(nullptr);
}

TASKKIT_DECL void to_json(nlohmann::json& j, const run_record& r) {
    j = detail::empty_object();
    j["id"] = r.id;
    j["task_id"] = r.task_id;
    j["status"] = to_string(r.status);
    j["payload"] = r.payload;
    j["output"] = r.output;
    j["error"] = r.error ? nlohmann::json(*r.error) : nlohmann::json(nullptr);
    j["attempts"] = r.attempts;
    j["queue"] = r.queue;
    j["machine"]["cpu"] = r.machine_spec.cpu;
    j["machine"]["memory"] = r.machine_spec.memory;
    j["tags"] = r.tags;
    j["metadata"] = r.metadata;
    j["concurrency_key"] = r.concurrency_key;
    j["priority"] = r.priority;
    j["idempotency_key"] = r.idempotency_key;
    j["batch_id"] = r.batch_id;
    j["parent_id"] = r.parent_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.parent_id);
    j["children"] = r.children;
    j["created_at"] = detail::to_millis(r.created_at);
    j["started_at"] = detail::optional_millis(r.started_at);
    j["finished_at"] = detail::optional_millis(r.finished_at);
    j["run_at"] = detail::optional_millis(r.run_at);
    j["logs"] = r.logs;
    j["dropped_logs"] = r.dropped_logs;
    j["hook_errors"] = r.hook_errors;
    auto& streams = j["streams"] = detail::empty_object();
    for (const auto& [name, stream] : r.streams) streams[name] = stream;
    j["waiting_for"] = r.waiting_for ? nlohmann::json(*r.waiting_for) : nlohmann::json(nullptr);
}

TASKKIT_DECL void to_json(nlohmann::json& j, const wait_info& w) {
    j = detail::empty_object();
    j["kind"] = to_string(w.kind);
    j["until"] = detail::optional_millis(w.until);
    j["run_ids"] = w.run_ids;
    j["batch_id"] = w.batch_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(w.batch_id);
    j["token_id"] = w.token_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(w.token_id);
    j["any"] = w.any;
}

TASKKIT_DECL void to_json(nlohmann::json& j, const stream_record& s) {
    j = detail::empty_object();
    j["chunks"] = s.chunks;
    j["dropped"] = s.dropped;
}

}  // namespace taskkit
