/// @file schedule/schedule_manager.hpp
/// Scheduled (cron) tasks: `taskkit::scheduled_task` fires a task on a cron schedule in an IANA
/// time zone (declarative), and `rt.schedules()` creates, updates and removes schedules at run
/// time (imperative).
///
/// An optional integration: it needs taskkit::cron (Howard Hinnant's date/tz; link
/// `taskkit::cron`), and the umbrella header `taskkit.hpp` does not include it.
/// @code
/// #include <taskkit/schedule.hpp>
///
/// inline const taskkit::scheduled_task nightly({
///     .id = "nightly-report",
///     .cron = {{.pattern = "0 2 * * *", .timezone = "Europe/Berlin"}},
///     .run = [](const taskkit::schedule_payload& payload, taskkit::run_context& ctx) {
///         ctx.logger().info("report for {}", payload.timestamp);
///     },
/// });
///
/// taskkit::runtime rt;   // fires "nightly-report" every night at 02:00 Berlin time
/// rt.schedules().create({.task = "nightly-report", .cron = "0 8 * * *", .timezone = "Asia/Tokyo",
///                        .external_id = "user_123", .deduplication_key = "user_123-report"});
/// @endcode
/// Fires are computed from the previous nominal time, on the runtime's one timer, and trigger
/// ordinary runs (queues, retries, hooks and handles apply). See docs/scheduled-tasks.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <taskkit/schedule/cron.hpp>
#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/schedule/schedule_time.hpp>
#include <taskkit/detail/task_definition.hpp>
#include <taskkit/error.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/run_handle.hpp>
#include <taskkit/runtime.hpp>
#include <taskkit/task.hpp>
#include <taskkit/task_options.hpp>
#include <taskkit/trigger_options.hpp>

namespace taskkit {

// ------------------------------------------------------------------------------------ payload

/// Where a schedule comes from: defined with its task (`scheduled_task{.cron = …}`), or created
/// at run time through `rt.schedules().create(…)`.
enum class schedule_type { declarative, imperative };

/// "declarative" or "imperative".
[[nodiscard]] constexpr std::string_view to_string(schedule_type type) noexcept {
    return type == schedule_type::declarative ? "declarative" : "imperative";
}

NLOHMANN_JSON_SERIALIZE_ENUM(schedule_type,
                             {{schedule_type::declarative, "declarative"}, {schedule_type::imperative, "imperative"}})

/// What a scheduled task's run receives.
struct schedule_payload {
    std::string schedule_id;                          ///< the schedule that fired
    schedule_type type = schedule_type::declarative;  ///< declarative or imperative
    schedule_time timestamp;                          ///< the nominal cron time of this fire (even when it ran late)
    std::optional<schedule_time>
        last_timestamp;                      ///< the nominal time of the schedule's previous fire; none on the first
    std::string timezone = "UTC";            ///< the IANA zone the cron is read in
    std::vector<schedule_time> upcoming;     ///< the next 5 nominal times after `timestamp`
    std::optional<std::string> external_id;  ///< imperative schedules: the id you gave (a user id, say)
};

/// JSON: `{"schedule_id", "type", "timestamp", "last_timestamp" (null on the first fire),
/// "timezone", "upcoming", "external_id" (null when none)}`, times as ISO 8601 UTC strings.
inline void to_json(nlohmann::json& j, const schedule_payload& p) {
    j = {{"schedule_id", p.schedule_id},
         {"type", p.type},
         {"timestamp", p.timestamp},
         {"last_timestamp", p.last_timestamp ? nlohmann::json(*p.last_timestamp) : nlohmann::json(nullptr)},
         {"timezone", p.timezone},
         {"upcoming", p.upcoming},
         {"external_id", p.external_id ? nlohmann::json(*p.external_id) : nlohmann::json(nullptr)}};
}

inline void from_json(const nlohmann::json& j, schedule_payload& p) {
    j.at("schedule_id").get_to(p.schedule_id);
    j.at("type").get_to(p.type);
    j.at("timestamp").get_to(p.timestamp);
    p.last_timestamp.reset();
    if (auto it = j.find("last_timestamp"); it != j.end() && !it->is_null())
        p.last_timestamp = it->get<schedule_time>();
    p.timezone = j.value("timezone", std::string("UTC"));
    p.upcoming.clear();
    if (auto it = j.find("upcoming"); it != j.end() && !it->is_null()) it->get_to(p.upcoming);
    p.external_id.reset();
    if (auto it = j.find("external_id"); it != j.end() && !it->is_null()) p.external_id = it->get<std::string>();
}

// ------------------------------------------------------------------------------------ errors

/// No schedule has the given id in this runtime.
class unknown_schedule_error : public error {
public:
    explicit unknown_schedule_error(std::string_view id)
        : error(error_code::invalid_state, "unknown schedule id '" + std::string(id) +
                                               "': list the runtime's schedules with rt.schedules().list()") {}
};

// ------------------------------------------------------------------------------------ scheduled_task

/// A cron pattern and the IANA zone it is read in, for `scheduled_task_options::cron`.
struct cron_options {
    std::string pattern;           ///< 5-field cron, e.g. "0 9 * * 1-5" (see docs/cron.md)
    std::string timezone = "UTC";  ///< IANA name, e.g. "America/New_York"
};

/// The `.cron` of a scheduled task: a pattern (read in UTC), or a pattern and a zone.
/// @code
/// .cron = "0 */2 * * *"
/// .cron = {{.pattern = "0 9 * * 1-5", .timezone = "America/New_York"}}
/// .cron = taskkit::cron_options{.pattern = "0 9 * * 1-5", .timezone = "America/New_York"}
/// @endcode
/// (C++ allows designated initializers only for aggregates, and an aggregate cannot also be
/// initialized from a string; hence the double braces or the type name for the second form.)
/// Empty: the task has no declarative schedule, and runs only from imperative schedules.
class cron_setting {
public:
    cron_setting() = default;
    cron_setting(const char* pattern) : pattern_(pattern ? pattern : "") {}  // NOLINT(google-explicit-constructor)
    template <class S>
    requires std::is_convertible_v<const S&, std::string_view> cron_setting(const S& pattern)
        : pattern_(std::string_view(pattern)) {}  // NOLINT(google-explicit-constructor)
    cron_setting(cron_options options)            // NOLINT(google-explicit-constructor)
        : pattern_(std::move(options.pattern)), timezone_(std::move(options.timezone)) {}

    [[nodiscard]] const std::string& pattern() const noexcept { return pattern_; }
    [[nodiscard]] const std::string& timezone() const noexcept { return timezone_; }
    [[nodiscard]] bool empty() const noexcept { return pattern_.empty(); }

private:
    std::string pattern_;
    std::string timezone_ = "UTC";
};

/// The definition of a scheduled task: task_options<schedule_payload> plus its declarative cron.
/// @code
/// inline const taskkit::scheduled_task cleanup({
///     .id = "cleanup",
///     .cron = "0 */6 * * *",
///     .queue = {.concurrency_limit = 1},
///     .run = [](const taskkit::schedule_payload& p, taskkit::run_context& ctx) { purge_before(p.timestamp); },
/// });
/// @endcode
struct scheduled_task_options {
    std::string id;           ///< unique in the registry
    cron_setting cron;        ///< declarative schedule; empty: none
    std::string description;  ///< shown by tools
    retry_options retry;      ///< retry policy of each fire's run
    queue_options queue;      ///< overlapping fires wait for a slot here
    /// What each run holds from the runtime's cpu/memory budget while it executes. The default,
    /// machines::none, holds nothing: such runs are bounded by workers and queues, not the budget.
    taskkit::machine machine = machines::none;
    std::optional<std::chrono::milliseconds> max_duration;  ///< wall-clock limit per attempt
    run_function<schedule_payload, void> run;               ///< the work
    hook_types<schedule_payload, void>::init init;          ///< (payload, ctx) before every attempt
    hook_types<schedule_payload, void>::cleanup cleanup;    ///< (payload, ctx) after every attempt
    /// (payload, ctx, next): wraps each attempt; must call `next()` exactly once.
    hook_types<schedule_payload, void>::middleware middleware;
    hook_types<schedule_payload, void>::on_start on_start;          ///< (payload, ctx) before the first attempt's run
    hook_types<schedule_payload, void>::on_success on_success;      ///< (payload, ctx) after a successful attempt
    hook_types<schedule_payload, void>::on_failure on_failure;      ///< (payload, error, ctx): failed, canceled…
    hook_types<schedule_payload, void>::on_complete on_complete;    ///< (payload, result, ctx): any terminal outcome
    hook_types<schedule_payload, void>::handle_error handle_error;  ///< (payload, error, ctx) -> error_decision
};

class schedule_manager;

namespace detail {

/// A scheduled task as its registry knows it: its id and its declarative cron (if any).
struct declared_schedule {
    std::string task_id;
    std::string pattern;  ///< empty: no declarative schedule
    std::string timezone;
};

/// Per registry: its scheduled tasks and the schedule managers of the runtimes on it.
struct registry_schedule_state {
    std::map<std::string, declared_schedule, std::less<>> tasks;
    std::vector<std::weak_ptr<schedule_manager>> managers;
};

struct schedule_registries {
    std::mutex mutex;
    std::map<const registry*, registry_schedule_state> states;
    std::map<const registry*, bool> hooked;  ///< whether on_runtime_start has been registered
};

inline schedule_registries& schedule_registry_states() {
    static schedule_registries instance;
    return instance;
}

inline bool is_scheduled_task(const registry& reg, std::string_view task_id) {
    auto& all = schedule_registry_states();
    std::lock_guard lock(all.mutex);
    auto it = all.states.find(&reg);
    return it != all.states.end() && it->second.tasks.contains(task_id);
}

/// The id of a task's declarative schedule.
inline std::string declarative_schedule_id(std::string_view task_id) { return "decl_" + std::string(task_id); }

/// Clears the thread's run frame for a scope: a fire is a root run, even when the timer is
/// driven from inside a run's wait (runtimes without threads).
class detached_frame {
public:
    detached_frame() noexcept : saved_(current_frame) { current_frame = nullptr; }
    detached_frame(const detached_frame&) = delete;
    detached_frame& operator=(const detached_frame&) = delete;
    ~detached_frame() { current_frame = saved_; }

private:
    exec_frame* saved_;
};

schedule_manager& attach_schedules(runtime_core& core);
void register_scheduled_task(registry& reg, declared_schedule declared);
void unregister_scheduled_task(registry& reg, const std::string& task_id);

}  // namespace detail

/// A task that runs on a cron schedule. It wraps a `taskkit::task<schedule_payload>` registered
/// like any task (so it can also be triggered by id, or by hand with a payload you build), plus
/// its declarative schedule, which every runtime created afterwards on the same registry fires.
/// An invalid cron or an unknown zone throws cron_error here, before anything is registered.
/// @code
/// inline const taskkit::scheduled_task first_scheduled_task({
///     .id = "first-scheduled-task",
///     .cron = "0 */2 * * *",
///     .run = [](const taskkit::schedule_payload& payload, taskkit::run_context& ctx) {
///         ctx.logger().info("nominal time {}, last {}", payload.timestamp, payload.last_timestamp);
///     },
/// });
/// @endcode
class scheduled_task {
public:
    /// Defines the task and registers it in `reg` (by default registry::global()).
    explicit scheduled_task(scheduled_task_options options, taskkit::registry& reg = taskkit::registry::global())
        : declared_(declare(options)), task_(to_task_options(std::move(options)), reg), registry_(&reg) {
        declared_.task_id = task_.id();
        detail::register_scheduled_task(reg, declared_);
    }

    scheduled_task(const scheduled_task&) = delete;
    scheduled_task& operator=(const scheduled_task&) = delete;
    ~scheduled_task() { detail::unregister_scheduled_task(*registry_, declared_.task_id); }

    /// The task's unique id.
    [[nodiscard]] const std::string& id() const noexcept { return task_.id(); }

    /// The declarative cron pattern as written (empty when the task has none).
    [[nodiscard]] const std::string& cron_pattern() const noexcept { return declared_.pattern; }

    /// The zone the declarative cron is read in.
    [[nodiscard]] const std::string& timezone() const noexcept { return declared_.timezone; }

    /// The underlying task (for `rt.trigger(st.task(), payload)` and the like).
    [[nodiscard]] const task<schedule_payload>& as_task() const noexcept { return task_; }

    /// Triggers a run by hand with a payload you build (tests, backfills).
    run_handle<void> trigger(schedule_payload payload, trigger_options options = {}) const {
        return task_.trigger(std::move(payload), std::move(options));
    }

private:
    static detail::declared_schedule declare(const scheduled_task_options& options) {
        detail::declared_schedule declared;
        declared.task_id = options.id;
        declared.pattern = options.cron.pattern();
        declared.timezone = options.cron.timezone().empty() ? std::string("UTC") : options.cron.timezone();
        if (!declared.pattern.empty()) {
            (void)cron::parse(declared.pattern);
            (void)cron::locate_zone(declared.timezone);
        } else if (options.cron.timezone() != "UTC" && !options.cron.timezone().empty()) {
            throw options_error("scheduled task '" + options.id + "' gives a cron timezone but no cron pattern");
        }
        return declared;
    }

    static task_options<schedule_payload, void> to_task_options(scheduled_task_options o) {
        task_options<schedule_payload, void> t;
        t.id = std::move(o.id);
        t.description = std::move(o.description);
        t.retry = o.retry;
        t.queue = std::move(o.queue);
        t.machine = o.machine;
        t.max_duration = o.max_duration;
        t.run = std::move(o.run);
        t.init = std::move(o.init);
        t.cleanup = std::move(o.cleanup);
        t.middleware = std::move(o.middleware);
        t.on_start = std::move(o.on_start);
        t.on_success = std::move(o.on_success);
        t.on_failure = std::move(o.on_failure);
        t.on_complete = std::move(o.on_complete);
        t.handle_error = std::move(o.handle_error);
        return t;
    }

    detail::declared_schedule declared_;
    task<schedule_payload> task_;
    taskkit::registry* registry_;
};

// ------------------------------------------------------------------------------------ imperative API

/// Options of `rt.schedules().create(…)`.
/// @code
/// rt.schedules().create({.task = "reminder", .cron = "30 8 * * *", .timezone = "Asia/Tokyo",
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

/// Options of `rt.schedules().update(id, …)`: only the fields given change.
struct schedule_update_options {
    std::optional<std::string> task;
    std::optional<std::string> cron;
    std::optional<std::string> timezone;
    std::optional<std::string> external_id;
};

/// Filters of `rt.schedules().list(…)`; empty fields match everything.
struct schedule_filter {
    std::optional<std::string> task;
    std::optional<schedule_type> type;
    std::optional<bool> active;
};

/// A schedule as data. Its times are schedule_time, as in the payload: fmt prints them (and an
/// empty optional as "none"), and they compare with and convert to `time_point`.
/// @code
/// auto s = rt.schedules().retrieve("decl_nightly-report");
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

inline void to_json(nlohmann::json& j, const schedule_info& s) {
    auto opt_string = [](const std::optional<std::string>& v) {
        return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    j = {{"id", s.id},
         {"task", s.task},
         {"type", s.type},
         {"cron", s.cron},
         {"timezone", s.timezone},
         {"external_id", opt_string(s.external_id)},
         {"deduplication_key", opt_string(s.deduplication_key)},
         {"active", s.active},
         {"next_timestamp", s.next_timestamp ? nlohmann::json(*s.next_timestamp) : nlohmann::json(nullptr)},
         {"last_timestamp", s.last_timestamp ? nlohmann::json(*s.last_timestamp) : nlohmann::json(nullptr)},
         {"created_at", s.created_at},
         {"updated_at", s.updated_at},
         {"last_error", opt_string(s.last_error)}};
}

/// The schedules of one runtime: its declarative ones (one per scheduled task with a cron) and
/// the imperative ones created through it. Obtained with `rt.schedules()`. Thread-safe.
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
class schedule_manager : public std::enable_shared_from_this<schedule_manager> {
public:
    /// Made by the runtime (through rt.schedules()); not for users.
    explicit schedule_manager(std::weak_ptr<detail::runtime_core> core, std::shared_ptr<taskkit::clock> time)
        : core_(std::move(core)), clock_(std::move(time)) {}

    schedule_manager(const schedule_manager&) = delete;
    schedule_manager& operator=(const schedule_manager&) = delete;

    /// Creates an imperative schedule, or, when a schedule with the same deduplication key
    /// exists, updates that one (same id) with these options. Throws unknown_task_error for an
    /// unknown task, options_error for a task that is not a scheduled task, cron_error for an
    /// invalid pattern or unknown zone.
    schedule_info create(const schedule_options& options) {
        validate_task(options.task);
        const cron expr = cron::parse(options.cron);
        const date::time_zone* zone = &cron::locate_zone(options.timezone);
        std::lock_guard lock(mutex_);
        const auto now = clock_->now();
        std::string id;
        if (options.deduplication_key && !options.deduplication_key->empty()) {
            if (auto it = by_key_.find(*options.deduplication_key); it != by_key_.end()) id = it->second;
        }
        if (id.empty()) {
            id = fmt::format("sched_{:06}", ++id_counter_);
            entry e;
            e.id = id;
            e.type = schedule_type::imperative;
            e.created_at = now;
            if (options.deduplication_key && !options.deduplication_key->empty()) {
                e.deduplication_key = options.deduplication_key;
                by_key_.emplace(*options.deduplication_key, id);
            }
            entries_.emplace(id, std::move(e));
        }
        entry& e = entries_.at(id);
        e.task = options.task;
        e.expr = expr;
        e.timezone = options.timezone;
        e.zone = zone;
        e.external_id = options.external_id;
        e.active = options.active;
        e.updated_at = now;
        rearm_locked(e, now);
        return info_locked(e);
    }

    /// The schedule with this id; throws unknown_schedule_error when there is none.
    [[nodiscard]] schedule_info retrieve(std::string_view id) const {
        std::lock_guard lock(mutex_);
        return info_locked(at_locked(id));
    }

    /// The schedule with this id, if any.
    [[nodiscard]] std::optional<schedule_info> find(std::string_view id) const {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end()) return std::nullopt;
        return info_locked(it->second);
    }

    /// Every schedule matching `filter`, sorted by id.
    [[nodiscard]] std::vector<schedule_info> list(const schedule_filter& filter = {}) const {
        std::lock_guard lock(mutex_);
        std::vector<schedule_info> out;
        for (const auto& [id, e] : entries_) {
            if (filter.task && e.task != *filter.task) continue;
            if (filter.type && e.type != *filter.type) continue;
            if (filter.active && e.active != *filter.active) continue;
            out.push_back(info_locked(e));
        }
        return out;
    }

    /// Changes an imperative schedule; a new cron or zone reschedules it from now. Throws
    /// unknown_schedule_error, state_error for a declarative schedule (change its task's
    /// definition instead), and what create() throws for invalid values.
    schedule_info update(std::string_view id, const schedule_update_options& options) {
        if (options.task) validate_task(*options.task);
        std::optional<cron> expr;
        if (options.cron) expr = cron::parse(*options.cron);
        const date::time_zone* zone = options.timezone ? &cron::locate_zone(*options.timezone) : nullptr;
        std::lock_guard lock(mutex_);
        entry& e = at_locked(id);
        if (e.type == schedule_type::declarative)
            throw state_error("schedule '" + e.id +
                              "' is declarative: change the cron in its scheduled_task's definition instead");
        const auto now = clock_->now();
        if (options.task) e.task = *options.task;
        if (options.external_id) e.external_id = options.external_id;
        if (expr) e.expr = std::move(*expr);
        if (zone) {
            e.zone = zone;
            e.timezone = *options.timezone;
        }
        e.updated_at = now;
        if (options.cron || options.timezone) rearm_locked(e, now);
        return info_locked(e);
    }

    /// Deletes an imperative schedule; it never fires again. False when no schedule has this id.
    /// Throws state_error for a declarative schedule (deactivate it, or remove its task).
    bool remove(std::string_view id) {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end()) return false;
        if (it->second.type == schedule_type::declarative)
            throw state_error("schedule '" + it->second.id +
                              "' is declarative: deactivate it, or remove the cron from its scheduled_task");
        if (it->second.deduplication_key) by_key_.erase(*it->second.deduplication_key);
        entries_.erase(it);  // its pending timer finds nothing and does nothing
        return true;
    }

    /// Resumes firing, from the first nominal time after now (missed times are not replayed).
    schedule_info activate(std::string_view id) { return set_active(id, true); }

    /// Stops firing until activated again. Works for declarative schedules too.
    schedule_info deactivate(std::string_view id) { return set_active(id, false); }

    // ---------------------------------------------------------------- for the runtime

    /// Attaches to the runtime (once): stops on shutdown, loads the registry's declarative
    /// schedules and follows scheduled tasks defined later.
    void init(detail::runtime_core& core) {
        std::call_once(init_once_, [&] {
            core.on_shutdown([weak = weak_from_this()] {
                if (auto self = weak.lock()) self->stop();
            });
            if (core.stopping()) stop();
            std::vector<detail::declared_schedule> declared;
            {
                auto& all = detail::schedule_registry_states();
                std::lock_guard lock(all.mutex);
                auto& state = all.states[&core.tasks()];
                state.managers.push_back(weak_from_this());
                for (const auto& [task_id, d] : state.tasks) declared.push_back(d);
            }
            for (auto& d : declared) add_declarative(d);
        });
    }

    /// Adds (or replaces) the declarative schedule of a scheduled task.
    void add_declarative(const detail::declared_schedule& d) {
        if (d.pattern.empty()) return;
        cron expr = cron::parse(d.pattern);
        const date::time_zone* zone = &cron::locate_zone(d.timezone);
        std::lock_guard lock(mutex_);
        const auto now = clock_->now();
        const auto id = detail::declarative_schedule_id(d.task_id);
        auto [it, inserted] = entries_.try_emplace(id);
        entry& e = it->second;
        if (inserted) {
            e.id = id;
            e.type = schedule_type::declarative;
            e.created_at = now;
            e.active = true;
        }
        e.task = d.task_id;
        e.expr = std::move(expr);
        e.timezone = d.timezone;
        e.zone = zone;
        e.updated_at = now;
        rearm_locked(e, now);
    }

    /// Removes the declarative schedule of a scheduled task that is being destroyed.
    void remove_declarative(const std::string& task_id) {
        std::lock_guard lock(mutex_);
        entries_.erase(detail::declarative_schedule_id(task_id));
    }

    /// Stops every schedule for good (the runtime is shutting down). Records stay readable.
    void stop() {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        for (auto& [id, e] : entries_) e.next.reset();
    }

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
    };

    void validate_task(const std::string& task_id) const {
        auto core = core_.lock();
        if (!core) throw runtime_stopped_error("the runtime of these schedules no longer exists");
        if (task_id.empty()) throw options_error("a schedule needs a .task (the id of a scheduled task)");
        (void)core->tasks().at(task_id);  // unknown_task_error
        if (!detail::is_scheduled_task(core->tasks(), task_id))
            throw options_error(
                "task '" + task_id +
                "' is not a scheduled task: define it with taskkit::scheduled_task to put it on a schedule");
    }

    entry& at_locked(std::string_view id) {
        auto it = entries_.find(id);
        if (it == entries_.end()) throw unknown_schedule_error(id);
        return it->second;
    }
    const entry& at_locked(std::string_view id) const {
        auto it = entries_.find(id);
        if (it == entries_.end()) throw unknown_schedule_error(id);
        return it->second;
    }

    schedule_info set_active(std::string_view id, bool active) {
        std::lock_guard lock(mutex_);
        entry& e = at_locked(id);
        if (e.active != active) {
            const auto now = clock_->now();
            e.active = active;
            e.updated_at = now;
            rearm_locked(e, now);
        }
        return info_locked(e);
    }

    static schedule_info info_locked(const entry& e) {
        schedule_info info;
        info.id = e.id;
        info.task = e.task;
        info.type = e.type;
        info.cron = e.expr.to_string();
        info.timezone = e.timezone;
        info.external_id = e.external_id;
        info.deduplication_key = e.deduplication_key;
        info.active = e.active;
        info.next_timestamp = e.next;
        info.last_timestamp = e.last;
        info.created_at = e.created_at;
        info.updated_at = e.updated_at;
        info.last_error = e.last_error;
        return info;
    }

    /// Invalidates the pending timer and, when active, schedules the first fire after `from`.
    void rearm_locked(entry& e, time_point from) {
        e.generation = ++generation_counter_;
        e.next.reset();
        if (!e.active || stopped_) return;
        try {
            e.next = e.expr.next(from, *e.zone);
        } catch (const cron_error& failure) {  // beyond system_clock's range: the schedule ends
            e.last_error = failure.what();
            return;
        }
        schedule_timer_locked(e);
    }

    void schedule_timer_locked(const entry& e) {
        auto core = core_.lock();
        if (!core) return;
        core->schedule_timer(
            *e.next,
            [weak = weak_from_this(), id = e.id, generation = e.generation] {
                if (auto self = weak.lock()) self->fire(id, generation);
            },
            /*background=*/true);
    }

    /// The timer of schedule `id` is due: fire once for the latest nominal time that has passed.
    void fire(const std::string& id, std::uint64_t generation) {
        auto core = core_.lock();
        if (!core) return;
        std::optional<fire_plan> plan;
        {
            std::lock_guard lock(mutex_);
            if (stopped_) return;
            auto it = entries_.find(id);
            if (it == entries_.end()) return;
            entry& e = it->second;
            if (e.generation != generation || !e.active || !e.next) return;  // a stale timer
            const auto now = clock_->now();
            try {
                time_point nominal = *e.next;
                for (time_point after = e.expr.next(nominal, *e.zone); after <= now;
                     after = e.expr.next(nominal, *e.zone))
                    nominal = after;  // catch-up: only the latest passed nominal time fires
                schedule_payload payload;
                payload.schedule_id = e.id;
                payload.type = e.type;
                payload.timestamp = nominal;
                if (e.last) payload.last_timestamp = *e.last;
                payload.timezone = e.timezone;
                for (auto t : e.expr.upcoming(nominal, 5, *e.zone)) payload.upcoming.emplace_back(t);
                payload.external_id = e.external_id;
                e.last = nominal;
                e.next = payload.upcoming.front().time();
                schedule_timer_locked(e);
                // Declarative schedules belong to the registry, not to one runtime: of all the
                // runtimes on it, only its default runtime triggers their runs (the others keep
                // time, so the schedule carries on where the default moves), and each nominal time
                // fires once per process.
                const bool fires_here =
                    e.type == schedule_type::imperative || core->tasks().default_core().get() == core.get();
                if (fires_here) plan = fire_plan{e.task, std::move(payload)};
            } catch (const cron_error& failure) {
                e.last_error = failure.what();
                e.next.reset();
                return;
            }
        }
        if (!plan) return;
        std::optional<std::string> failure;
        try {
            trigger_fire(*core, *plan);
        } catch (const std::exception& ex) {
            failure = ex.what();
        } catch (...) {
            failure = "unknown exception";
        }
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(id); it != entries_.end()) it->second.last_error = failure;
    }

    static void trigger_fire(detail::runtime_core& core, const fire_plan& plan) {
        auto definition = core.tasks().at(plan.task);
        std::shared_ptr<detail::run_state> run;
        if (auto typed = std::dynamic_pointer_cast<const detail::task_definition<schedule_payload, void>>(definition)) {
            run = typed->make_run(plan.payload);
        } else {
            run = definition->make_run_from_json(nlohmann::json(plan.payload));
        }
        trigger_options options;
        std::string tag = "schedule:" + plan.payload.schedule_id;
        if (tag.size() <= trigger_options::max_tag_length) options.tags.push_back(std::move(tag));
        options.metadata = {
            {"schedule",
             {{"id", plan.payload.schedule_id}, {"type", plan.payload.type}, {"timestamp", plan.payload.timestamp}}}};
        detail::detached_frame root;
        core.submit(run, std::move(definition), options);
    }

    std::weak_ptr<detail::runtime_core> core_;
    std::shared_ptr<taskkit::clock> clock_;
    std::once_flag init_once_;
    mutable std::mutex mutex_;
    std::map<std::string, entry, std::less<>> entries_;
    std::map<std::string, std::string, std::less<>> by_key_;  // deduplication key → schedule id
    std::uint64_t id_counter_ = 0;
    std::uint64_t generation_counter_ = 0;
    bool stopped_ = false;
};

namespace detail {

/// The schedule manager of a runtime, created and attached on first use.
inline schedule_manager& attach_schedules(runtime_core& core) {
    auto& manager =
        core.extension<schedule_manager>([&core] { return new schedule_manager(core.weak_from_this(), core.time()); });
    manager.init(core);
    return manager;
}

inline void register_scheduled_task(registry& reg, declared_schedule declared) {
    std::vector<std::shared_ptr<schedule_manager>> managers;
    bool hook = false;
    {
        auto& all = schedule_registry_states();
        std::lock_guard lock(all.mutex);
        auto& state = all.states[&reg];
        for (auto& weak : state.managers)
            if (auto m = weak.lock()) managers.push_back(std::move(m));
        state.tasks[declared.task_id] = declared;
        auto& hooked = all.hooked[&reg];
        hook = !hooked;
        hooked = true;
    }
    // Every runtime created on this registry from now on gets a schedule manager at start.
    if (hook) reg.on_runtime_start([](runtime_core& core) { (void)attach_schedules(core); });
    for (auto& m : managers) m->add_declarative(declared);
}

inline void unregister_scheduled_task(registry& reg, const std::string& task_id) {
    std::vector<std::shared_ptr<schedule_manager>> managers;
    {
        auto& all = schedule_registry_states();
        std::lock_guard lock(all.mutex);
        auto it = all.states.find(&reg);
        if (it == all.states.end()) return;
        auto& state = it->second;
        state.tasks.erase(task_id);
        std::erase_if(state.managers, [](const auto& weak) { return weak.expired(); });
        for (auto& weak : state.managers)
            if (auto m = weak.lock()) managers.push_back(std::move(m));
        // Forget a registry with nothing left, so another registry at the same address later
        // starts afresh (and registers its own runtime hook).
        if (state.tasks.empty() && state.managers.empty()) {
            all.states.erase(it);
            all.hooked.erase(&reg);
        }
    }
    for (auto& m : managers) m->remove_declarative(task_id);
}

}  // namespace detail

/// The schedules of a runtime (what `rt.schedules()` returns): create, retrieve, update, remove,
/// activate, deactivate, list. The reference is valid until the runtime shuts down.
[[nodiscard]] inline schedule_manager& schedules(runtime& rt) { return detail::attach_schedules(*rt.core()); }

inline schedule_manager& runtime::schedules() { return taskkit::schedules(*this); }

}  // namespace taskkit
