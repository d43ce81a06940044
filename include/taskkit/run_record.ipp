/// @file run_record.ipp
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

TASKKIT_DECL void to_json(nlohmann::json& j, const error_info& e) {
    j = {{"type", e.type}, {"message", e.message}};
    if (e.code) j["code"] = to_string(*e.code);
}

TASKKIT_DECL void to_json(nlohmann::json& j, const log_entry& e) {
    j = {{"time", detail::to_millis(e.time)},
         {"level", to_string(e.level)},
         {"message", e.message},
         {"attributes", e.attributes},
         {"attempt", e.attempt}};
}

TASKKIT_DECL void to_json(nlohmann::json& j, const attempt_record& a) {
    j = {{"number", a.number},
         {"started_at", detail::to_millis(a.started_at)},
         {"finished_at", detail::optional_millis(a.finished_at)},
         {"error", nullptr}};
    if (a.error) j["error"] = *a.error;
}

TASKKIT_DECL void to_json(nlohmann::json& j, const run_record& r) {
    j = {{"id", r.id},
         {"task_id", r.task_id},
         {"status", to_string(r.status)},
         {"payload", r.payload},
         {"output", r.output},
         {"error", nullptr},
         {"attempts", r.attempts},
         {"queue", r.queue},
         {"machine", {{"cpu", r.machine_spec.cpu}, {"memory", r.machine_spec.memory}}},
         {"tags", r.tags},
         {"metadata", r.metadata},
         {"concurrency_key", r.concurrency_key},
         {"priority", r.priority},
         {"idempotency_key", r.idempotency_key},
         {"batch_id", r.batch_id},
         {"parent_id", r.parent_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.parent_id)},
         {"children", r.children},
         {"created_at", detail::to_millis(r.created_at)},
         {"started_at", detail::optional_millis(r.started_at)},
         {"finished_at", detail::optional_millis(r.finished_at)},
         {"run_at", detail::optional_millis(r.run_at)},
         {"logs", r.logs},
         {"dropped_logs", r.dropped_logs},
         {"hook_errors", r.hook_errors}};
    if (r.error) j["error"] = *r.error;
}

}  // namespace taskkit
