/// @file schedule/impl/schedule_manager.ipp
/// The definitions of what <taskkit/schedule/schedule_manager.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/schedule/src.hpp>
/// (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/schedule/schedule_manager.hpp>

#include <exception>
#include <functional>
#include <utility>

#include <fmt/format.h>

#include <taskkit/detail/payload_decoding.hpp>
#include <taskkit/detail/runtime_core.hpp>
#include <taskkit/detail/task_definition.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/runtime.hpp>
#include <taskkit/schedule/detail/schedule_extension.hpp>
#include <taskkit/trigger_options.hpp>

namespace taskkit {

TASKKIT_DECL auto to_json(nlohmann::json& j, const schedule_info& s) -> void {
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

TASKKIT_DECL schedule_manager::schedule_manager(std::weak_ptr<detail::runtime_core> core,
                                                std::shared_ptr<taskkit::clock> time)
    : core_(std::move(core)), clock_(std::move(time)) {}

TASKKIT_DECL auto schedule_manager::create(const schedule_options& options) -> schedule_info {
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

TASKKIT_DECL auto schedule_manager::retrieve(std::string_view id) const -> schedule_info {
    std::lock_guard lock(mutex_);
    return info_locked(at_locked(id));
}

TASKKIT_DECL auto schedule_manager::find(std::string_view id) const -> std::optional<schedule_info> {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    return info_locked(it->second);
}

TASKKIT_DECL auto schedule_manager::list(const schedule_filter& filter) const -> std::vector<schedule_info> {
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

TASKKIT_DECL auto schedule_manager::update(std::string_view id, const schedule_update_options& options)
    -> schedule_info {
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

TASKKIT_DECL auto schedule_manager::remove(std::string_view id) -> bool {
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

TASKKIT_DECL auto schedule_manager::add_declarative(const detail::declared_schedule& d) -> void {
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

TASKKIT_DECL auto schedule_manager::remove_declarative(const std::string& task_id) -> void {
    std::lock_guard lock(mutex_);
    entries_.erase(detail::declarative_schedule_id(task_id));
}

TASKKIT_DECL auto schedule_manager::stop() -> void {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    for (auto& [id, e] : entries_) e.next.reset();
}

TASKKIT_DECL auto schedule_manager::validate_task(const std::string& task_id) const -> void {
    auto core = core_.lock();
    if (!core) throw runtime_stopped_error("the runtime of these schedules no longer exists");
    if (task_id.empty()) throw options_error("a schedule needs a .task (the id of a scheduled task)");
    (void)core->tasks().at(task_id);  // unknown_task_error
    if (!core->tasks().extension<detail::schedule_extension>().has_task(task_id))
        throw options_error(
            "task '" + task_id +
            "' is not a scheduled task: define it with taskkit::scheduled_task to put it on a schedule");
}

TASKKIT_DECL auto schedule_manager::at_locked(std::string_view id) -> entry& {
    auto it = entries_.find(id);
    if (it == entries_.end()) throw unknown_schedule_error(id);
    return it->second;
}

TASKKIT_DECL auto schedule_manager::at_locked(std::string_view id) const -> const entry& {
    auto it = entries_.find(id);
    if (it == entries_.end()) throw unknown_schedule_error(id);
    return it->second;
}

TASKKIT_DECL auto schedule_manager::set_active(std::string_view id, bool active) -> schedule_info {
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

TASKKIT_DECL auto schedule_manager::info_locked(const entry& e) -> schedule_info {
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

TASKKIT_DECL auto schedule_manager::rearm_locked(entry& e, time_point from) -> void {
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

TASKKIT_DECL auto schedule_manager::schedule_timer_locked(const entry& e) -> void {
    auto core = core_.lock();
    if (!core) return;
    core->schedule_timer(
        *e.next,
        [weak = weak_from_this(), id = e.id, generation = e.generation] {
            if (auto self = weak.lock()) self->fire(id, generation);
        },
        /*background=*/true);
}

TASKKIT_DECL auto schedule_manager::fire(const std::string& id, std::uint64_t generation) -> void {
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
            for (time_point after = e.expr.next(nominal, *e.zone); after <= now; after = e.expr.next(nominal, *e.zone))
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
            if (fires_here) {
                // A declarative schedule is the same in every process on a shared backend, and
                // so is an imperative one upserted on a deduplication key: each of their nominal
                // times fires in one process. Any other imperative schedule exists in this
                // runtime only (its id is this runtime's counter): it fires here, unclaimed.
                std::string claim_id;
                if (e.type == schedule_type::declarative)
                    claim_id = e.id;
                else if (e.deduplication_key)
                    claim_id = "key:" + *e.deduplication_key;
                plan = fire_plan{e.task, std::move(payload), std::move(claim_id)};
            }
        } catch (const cron_error& failure) {
            e.last_error = failure.what();
            e.next.reset();
            return;
        }
    }
    if (!plan) return;
    std::optional<std::string> failure;
    try {
        // Right before the run is made: a fire another process claimed first is skipped here.
        if (plan->claim_id.empty() || core->runs().claim_schedule_fire(plan->claim_id, plan->payload.timestamp.time()))
            trigger_fire(*core, *plan);
    } catch (const std::exception& ex) {
        failure = ex.what();
    } catch (...) {
        failure = "unknown exception";
    }
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(id); it != entries_.end()) it->second.last_error = failure;
}

TASKKIT_DECL auto schedule_manager::trigger_fire(detail::runtime_core& core, const fire_plan& plan) -> void {
    auto definition = core.tasks().at(plan.task);
    std::shared_ptr<detail::run_state> run;
    if (auto typed = std::dynamic_pointer_cast<const detail::task_definition<schedule_payload, void>>(definition)) {
        run = typed->make_run(plan.payload);
    } else {
        run = detail::make_run_from_json(*definition, nlohmann::json(plan.payload));
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

TASKKIT_DECL auto schedules(runtime& rt) -> schedule_manager& {
    return rt.registry().extension<detail::schedule_extension>().schedules(*rt.core());
}

}  // namespace taskkit
