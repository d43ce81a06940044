// The columns the store reads a run by, and their positions. Internal to taskkit::sqlite.
#pragma once

namespace taskkit::sqlite::detail {

inline constexpr const char* run_columns =
    "id, task_id, status, payload, output, error, queue, machine_cpu, machine_memory, tags, metadata, "
    "concurrency_key, priority, idempotency_key, batch_id, parent_id, created_at, started_at, finished_at, run_at, "
    "dropped_logs, hook_errors, rank, expires_at, idempotency_expires_at, max_attempts, max_duration_ms, "
    "attempts_started, budget_start, generation, lease_owner, lease_token, lease_expires_at, cancel_requested, wait, "
    "resume_requested, waiting_for";

namespace col {
enum : int {
    id,
    task_id,
    status,
    payload,
    output,
    error,
    queue,
    machine_cpu,
    machine_memory,
    tags,
    metadata,
    concurrency_key,
    priority,
    idempotency_key,
    batch_id,
    parent_id,
    created_at,
    started_at,
    finished_at,
    run_at,
    dropped_logs,
    hook_errors,
    rank,
    expires_at,
    idempotency_expires_at,
    max_attempts,
    max_duration_ms,
    attempts_started,
    budget_start,
    generation,
    lease_owner,
    lease_token,
    lease_expires_at,
    cancel_requested,
    wait,
    resume_requested,
    waiting_for,
};
}  // namespace col

}  // namespace taskkit::sqlite::detail
