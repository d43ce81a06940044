/// @file impl/logger.ipp
/// The definitions of what <taskkit/logger.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/logger.hpp>

#include <taskkit/detail/exception_info.hpp>
#include <taskkit/detail/run_services.hpp>
#include <taskkit/detail/run_state.hpp>

namespace taskkit {

TASKKIT_DECL log_sink stderr_log_sink(log_level min_level) {
    return [min_level](const log_entry& e) {
        if (e.level < min_level) return;
        std::string line = fmt::format("{:<5} {} {}: {}", to_string(e.level), e.task_id, e.run_id, e.message);
        if (!e.attributes.empty()) line += " " + e.attributes.dump();
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stderr);  // one write per line keeps lines whole
    };
}

TASKKIT_DECL logger::logger(target t, nlohmann::json attributes) : target_(t), attributes_(std::move(attributes)) {}

TASKKIT_DECL auto logger::with(const nlohmann::json& attributes) const -> logger {
    nlohmann::json merged = attributes_.is_object() ? attributes_ : detail::empty_object();
    if (attributes.is_object()) merged.update(attributes);
    return logger(target_, std::move(merged));
}

TASKKIT_DECL auto logger::log(log_level level, std::string message, const nlohmann::json& attributes) const -> void {
    log_entry entry;
    entry.time = target_.time ? target_.time->now() : std::chrono::system_clock::now();
    entry.level = level;
    entry.message = std::move(message);
    entry.attributes = attributes_.is_object() ? attributes_ : detail::empty_object();
    if (attributes.is_object()) entry.attributes.update(attributes);
    entry.attempt = target_.attempt;
    if (auto* run = target_.run) {
        entry.run_id = run->id;
        entry.task_id = std::string(run->task_id);
        std::lock_guard lock(run->mutex);
        auto& extras = run->extras();
        if (target_.max_entries == 0) {
            ++extras.dropped_logs;
        } else {
            if (extras.logs.size() >= target_.max_entries) {  // keep the most recent lines: overwrite the oldest
                extras.logs[extras.oldest_log] = entry;
                extras.oldest_log = (extras.oldest_log + 1) % extras.logs.size();
                ++extras.dropped_logs;
            } else {
                extras.logs.push_back(entry);
            }
        }
    }
    if (auto* run = target_.run; run)
        if (auto* recorder = run->recorder()) recorder->logged(*run, entry);
    if (!target_.sink || !*target_.sink) return;
    // The sink is the user's: like a hook, its exception is recorded on the run and goes no further.
    try {
        (*target_.sink)(entry);
    } catch (...) {
        auto* run = target_.run;
        if (!run) return;
        auto e = detail::describe_exception(std::current_exception());
        e.message = "log_sink threw: " + e.message;
        {
            std::lock_guard lock(run->mutex);
            run->extras().hook_errors.push_back(e);
        }
        if (auto* recorder = run->recorder()) recorder->hook_failed(*run, e);
    }
}

}  // namespace taskkit
