// Control of runs from outside their attempts: cancel (with the run's children), retry,
// reschedule (store.hpp).
#include <fmt/format.h>

#include "sqlite/codec.hpp"
#include "sqlite/database.hpp"
#include "sqlite/store.hpp"

namespace taskkit::sqlite::detail {

cancel_result store::cancel(std::string_view run_id, time_point now) {
    std::lock_guard lock(write_mutex_);
    return writer_->write("canceling a run", [&] {
        cancel_result out;
        cancel_locked(run_id, now, out);
        return out;
    });
}

void store::cancel_locked(std::string_view run_id, time_point now, cancel_result& out) {
    const auto now_ns = to_ns(now);
    const auto canceled =
        error_text(make_error("taskkit::canceled_error", "the run was canceled", error_code::run_canceled));
    // Iteratively, not recursively: a chain of runs triggering runs may be thousands deep. As in the
    // memory backend, the cascade stops at a run that had ended, and at one whose cancel was
    // requested already (its children were canceled then).
    std::vector<std::string> todo{std::string(run_id)};
    bool root = true;
    while (!todo.empty()) {
        const std::string id = std::move(todo.back());
        todo.pop_back();
        const bool is_root = std::exchange(root, false);
        std::string status_name;
        std::string task_id;
        std::string owner;
        bool cancel_requested = false;
        int attempts_started = 0;
        int budget_start = 0;
        {
            auto st = writer_->prepare(
                "SELECT status, cancel_requested, attempts_started, budget_start, lease_owner, task_id FROM runs WHERE "
                "id = ?1");
            st.bind(1, id);
            if (!st.step()) continue;
            status_name = st.text(0);
            cancel_requested = st.int64(1) != 0;
            attempts_started = st.int32(2);
            budget_start = st.int32(3);
            owner = st.text(4);
            task_id = st.text(5);
        }
        const auto status = parse_status(status_name, options_.path);
        if (is_terminal(status)) continue;
        if (is_root) out.changed = true;
        if (status == run_status::executing || status == run_status::waiting) {
            if (cancel_requested) continue;
            writer_->prepare("UPDATE runs SET cancel_requested = 1, updated_at = ?2 WHERE id = ?1")
                .bind(1, id)
                .bind(2, now_ns)
                .run();
            writer_
                ->prepare(R"sql(
INSERT INTO events(run_id, task_id, kind, status, attempt, owner, at)
VALUES (?1, ?2, 'cancel_requested', ?3, ?4, ?5, ?6))sql")
                .bind(1, id)
                .bind(2, task_id)
                .bind(3, status_name)
                .bind(4, attempts_started)
                .bind(5, owner)
                .bind(6, now_ns)
                .run();
            out.stop_requested.push_back({id, owner});
        } else {
            writer_
                ->prepare(R"sql(
UPDATE runs SET status = 'canceled', error = ?2, finished_at = ?3, run_at = NULL, updated_at = ?3 WHERE id = ?1)sql")
                .bind(1, id)
                .bind(2, canceled)
                .bind(3, now_ns)
                .run();
            out.canceled.push_back(id);
            // Hooks are owed when an attempt of this cycle ran (waiting to retry, or queued again).
            if (attempts_started > budget_start) out.ended.push_back(ended_run{id, task_id, run_status::canceled});
        }
        auto children = writer_->prepare("SELECT id FROM runs WHERE parent_id = ?1 ORDER BY rowid DESC");
        children.bind(1, id);
        while (children.step()) todo.push_back(children.text(0));
    }
}

void store::retry(std::string_view run_id, time_point now) {
    std::lock_guard lock(write_mutex_);
    writer_->write("queuing a run again", [&] {
        {
            auto st = writer_->prepare("SELECT status FROM runs WHERE id = ?1");
            st.bind(1, run_id);
            if (!st.step()) throw state_error(fmt::format("no run with id '{}' in the database", run_id));
            const auto status = parse_status(st.text_view(0), options_.path);
            if (status != run_status::failed && status != run_status::canceled && status != run_status::timed_out)
                throw state_error(fmt::format("run {} is {}: only failed, canceled or timed-out runs can be retried",
                                              run_id, to_string(status)));
        }
        writer_
            ->prepare(R"sql(
UPDATE runs SET status = 'queued', budget_start = attempts_started, finished_at = NULL, error = NULL, output = NULL,
  cancel_requested = 0, generation = generation + 1, run_at = NULL, queue_order = ?2, lease_owner = NULL,
  lease_token = NULL, lease_expires_at = NULL, wait = NULL, waiting_for = NULL, resume_requested = NULL, updated_at = ?3
WHERE id = ?1)sql")
            .bind(1, run_id)
            .bind(2, next_seq())
            .bind(3, to_ns(now))
            .run();
    });
}

void store::reschedule(std::string_view run_id, time_point at, time_point now) {
    std::lock_guard lock(write_mutex_);
    writer_->write("rescheduling a run", [&] {
        std::string task_id;
        {
            auto st = writer_->prepare("SELECT status, task_id FROM runs WHERE id = ?1");
            st.bind(1, run_id);
            if (!st.step()) throw state_error(fmt::format("no run with id '{}' in the database", run_id));
            const auto status = parse_status(st.text_view(0), options_.path);
            if (status != run_status::delayed)
                throw state_error(
                    fmt::format("run {} is {}: only delayed runs can be rescheduled", run_id, to_string(status)));
            task_id = st.text(1);
        }
        const auto now_ns = to_ns(now);
        writer_->prepare("UPDATE runs SET run_at = ?2, generation = generation + 1, updated_at = ?3 WHERE id = ?1")
            .bind(1, run_id)
            .bind(2, to_ns(at))
            .bind(3, now_ns)
            .run();
        // The status stays delayed (no trigger fires): its event is written here, as the memory
        // backend reports a reschedule.
        writer_
            ->prepare(R"sql(
INSERT INTO events(run_id, task_id, kind, status, attempt, owner, at) VALUES (?1, ?2, 'status', 'delayed', 0, NULL, ?3))sql")
            .bind(1, run_id)
            .bind(2, task_id)
            .bind(3, now_ns)
            .run();
    });
}

}  // namespace taskkit::sqlite::detail
