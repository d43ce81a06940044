/// @file schedule/schedule_manager.hpp
/// The imperative schedules of a runtime: `taskkit::schedules(rt)` creates, updates, lists and
/// removes them (schedule_manager, schedule_options, schedule_info…); it also holds the
/// runtime's declarative ones, those of its registry's scheduled tasks.
/// @code
/// taskkit::schedules(rt).create({.task = "nightly-report", .cron = "0 8 * * *", .timezone = "Asia/Tokyo",
///                                .external_id = "user_123", .deduplication_key = "user_123-report"});
/// @endcode
/// Fires are computed from the previous nominal time, on the runtime's one timer, and trigger
/// ordinary runs (queues, retries, hooks and handles apply). See docs/scheduled-tasks.md.
#pragma once

#include <taskkit/schedule/detail/config.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/clock.hpp>
#include <taskkit/error.hpp>
#include <taskkit/fwd.hpp>
#include <taskkit/schedule/cron.hpp>
#include <taskkit/schedule/detail/declared_schedule.hpp>
#include <taskkit/schedule/schedule_payload.hpp>
#include <taskkit/schedule/schedule_time.hpp>

namespace taskkit {

/// No schedule has the given id in this runtime.
class unknown_schedule_error : public error {
public:
    explicit unknown_schedule_error(std::string_view id)
        : error(error_code::invalid_state, "unknown schedule id '" + std::string(id) +
                                               "': list the runtime's schedules with taskkit::schedules(rt).list()") {}
};

/// Options of `taskkit::schedules(rt).create(…)`.
/// @code
/// taskkit::schedules(rt).create({.task = "reminder", .cron = "30 8 * * *", .timezone = "Asia/Tokyo",
///                        .external_id = "user_123", .deduplication_key = "user_123-reminder"});
/// @endcode
struct schedule_options {
    std::string task;                              ///< id of a scheduled task
    std::string cron;                              ///< 5-field cron pattern
    std::string timezone = "UTC";                  ///< IANA zone the pattern is read in
    std::optional<std::string> external_id;        ///< passed to each run's payload
    std::optional<std::string> deduplication_key;  ///< create is an upsert on this key
    bool active = true;                            ///< false: created deactivated
};

/// Options of `taskkit::schedules(rt).update(id, …)`: only the fields given change.
struct schedule_update_options {
    std::optional<std::string> task;
    std::optional<std::string> cron;
    std::optional<std::string> timezone;
    std::optional<std::string> external_id;
};

/// Filters of `taskkit::schedules(rt).list(…)`; empty fields match everything.
struct schedule_filter {
    std::optional<std::string> task;
    std::optional<schedule_type> type;
    std::optional<bool> active;
};

/// A schedule as data. Its times are schedule_time, as in the payload: fmt prints them (and an
/// empty optional as "none"), and they compare with and convert to `time_point`.
/// @code
/// auto s = taskkit::schedules(rt).retrieve("decl_nightly-report");
/// fmt::print("next {}, last {}\n", s.next_timestamp, s.last_timestamp);  // next 2026-03-09T01:00:00Z, last none
/// @endcode
struct schedule_info {
    std::string id;    ///< "sched_000001", or "decl_<task id>" for a declarative one
    std::string task;  ///< the task it triggers
    schedule_type type = schedule_type::imperative;
    std::string cron;  ///< the pattern as written
    std::string timezone = "UTC";
    std::optional<std::string> external_id;
    std::optional<std::string> deduplication_key;  ///< imperative schedules created with one
    bool active = true;
    std::optional<schedule_time> next_timestamp;  ///< the next nominal fire time (none while inactive or stopped)
    std::optional<schedule_time> last_timestamp;  ///< the nominal time of the last fire, if any
    schedule_time created_at;                     ///< when it was created (declarative: when this runtime loaded it)
    schedule_time updated_at;                     ///< when it last changed (update, activate, deactivate)
    std::optional<std::string> last_error;        ///< why the last fire could not trigger a run, if it could not
};

TASKKIT_DECL void to_json(nlohmann::json& j, const schedule_info& s);

/// The schedules of one runtime: its declarative ones (one per scheduled task with a cron) and
/// the imperative ones created through it. Obtained with `taskkit::schedules(rt)`. Thread-safe.
///
/// Firing: each schedule has one entry in the runtime's timer heap, due at its next nominal
/// time; each next time is computed from the previous nominal time (`cron.next(last)`), never
/// from "now + interval", so nothing drifts. A fire triggers an ordinary run of the task, with
/// the tag "schedule:<id>" and the metadata `{"schedule": {"id", "type", "timestamp"}}`.
///
/// Catch-up rule: when the timer fires late and several nominal times have passed (the process
/// was busy or suspended, or a virtual clock jumped), the schedule fires ONCE, for the latest
/// nominal time that has passed; the skipped times are not replayed. A deactivated schedule does
/// not fire; activating it resumes with the first nominal time after now (missed times are not
/// replayed either).
///
/// Several processes on one durable backend (SQLite): every process keeps time for its
/// schedules, and each nominal time of a declarative schedule, or of an imperative one created
/// with a deduplication key, triggers one run among all of them — the first process to claim it
/// in the backend (backend::claim_schedule_fire); the others skip that fire. An imperative
/// schedule without a deduplication key belongs to the runtime that created it and fires there.
class schedule_manager : public std::enable_shared_from_this<schedule_manager> {
public:
    /// Made by the schedule integration (through taskkit::schedules(rt)); not for users.
    TASKKIT_DECL schedule_manager(std::weak_ptr<detail::runtime_core> core, std::shared_ptr<taskkit::clock> time);

    schedule_manager(const schedule_manager&) = delete;
    schedule_manager& operator=(const schedule_manager&) = delete;

    /// Creates an imperative schedule, or, when a schedule with the same deduplication key
    /// exists, updates that one (same id) with these options. Throws unknown_task_error for an
    /// unknown task, options_error for a task that is not a scheduled task, cron_error for an
    /// invalid pattern or unknown zone.
    TASKKIT_DECL schedule_info create(const schedule_options& options);

    /// The schedule with this id; throws unknown_schedule_error when there is none.
    [[nodiscard]] TASKKIT_DECL schedule_info retrieve(std::string_view id) const;

    /// The schedule with this id, if any.
    [[nodiscard]] TASKKIT_DECL std::optional<schedule_info> find(std::string_view id) const;

    /// Every schedule matching `filter`, sorted by id.
    [[nodiscard]] TASKKIT_DECL std::vector<schedule_info> list(const schedule_filter& filter = {}) const;

    /// Changes an imperative schedule; a new cron or zone reschedules it from now. Throws
    /// unknown_schedule_error, state_error for a declarative schedule (change its task's
    /// definition instead), and what create() throws for invalid values.
    TASKKIT_DECL schedule_info update(std::string_view id, const schedule_update_options& options);

    /// Deletes an imperative schedule; it never fires again. False when no schedule has this id.
    /// Throws state_error for a declarative schedule (deactivate it, or remove its task).
    TASKKIT_DECL bool remove(std::string_view id);

    /// Resumes firing, from the first nominal time after now (missed times are not replayed).
    schedule_info activate(std::string_view id) { return set_active(id, true); }

    /// Stops firing until activated again. Works for declarative schedules too.
    schedule_info deactivate(std::string_view id) { return set_active(id, false); }

    // ---------------------------------------------------------------- for the schedule integration

    /// Adds (or replaces) the declarative schedule of a scheduled task.
    TASKKIT_DECL void add_declarative(const detail::declared_schedule& d);

    /// Removes the declarative schedule of a scheduled task that is being destroyed.
    TASKKIT_DECL void remove_declarative(const std::string& task_id);

    /// Stops every schedule for good (the runtime is shutting down). Records stay readable.
    TASKKIT_DECL void stop();

private:
    struct entry {
        std::string id;
        std::string task;
        schedule_type type = schedule_type::imperative;
        cron expr = cron::parse("0 0 1 1 *");
        std::string timezone = "UTC";
        const date::time_zone* zone = nullptr;
        std::optional<std::string> external_id;
        std::optional<std::string> deduplication_key;
        bool active = true;
        std::uint64_t generation = 0;  ///< the pending timer is live only while this matches
        std::optional<time_point> next;
        std::optional<time_point> last;
        time_point created_at;
        time_point updated_at;
        std::optional<std::string> last_error;
    };

    struct fire_plan {
        std::string task;
        schedule_payload payload;
        /// The name its nominal time is claimed under across processes (the runtime's backend,
        /// backend::claim_schedule_fire); empty for a schedule of this runtime only.
        std::string claim_id;
    };

    TASKKIT_DECL void validate_task(const std::string& task_id) const;

    TASKKIT_DECL entry& at_locked(std::string_view id);
    TASKKIT_DECL const entry& at_locked(std::string_view id) const;

    TASKKIT_DECL schedule_info set_active(std::string_view id, bool active);

    TASKKIT_DECL static schedule_info info_locked(const entry& e);

    /// Invalidates the pending timer and, when active, schedules the first fire after `from`.
    TASKKIT_DECL void rearm_locked(entry& e, time_point from);

    TASKKIT_DECL void schedule_timer_locked(const entry& e);

    /// The timer of schedule `id` is due: fire once for the latest nominal time that has passed.
    TASKKIT_DECL void fire(const std::string& id, std::uint64_t generation);

    TASKKIT_DECL static void trigger_fire(detail::runtime_core& core, const fire_plan& plan);

    std::weak_ptr<detail::runtime_core> core_;
    std::shared_ptr<taskkit::clock> clock_;
    mutable std::mutex mutex_;
    std::map<std::string, entry, std::less<>> entries_;
    std::map<std::string, std::string, std::less<>> by_key_;  // deduplication key → schedule id
    std::uint64_t id_counter_ = 0;
    std::uint64_t generation_counter_ = 0;
    bool stopped_ = false;
};

/// The schedules of a runtime: create, retrieve, update, remove, activate, deactivate, list.
/// The reference is valid until the runtime shuts down.
/// @code
/// auto created = taskkit::schedules(rt).create({.task = "reminder", .cron = "30 8 * * *"});
/// @endcode
[[nodiscard]] TASKKIT_DECL schedule_manager& schedules(runtime& rt);

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/schedule/impl/schedule_manager.ipp>
#endif
