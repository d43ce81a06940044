/// @file impl/trigger_options.ipp
/// The definitions of what <taskkit/trigger_options.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/trigger_options.hpp>

#include <taskkit/detail/json_depth.hpp>

namespace taskkit {

TASKKIT_DECL run_delay::run_delay(std::chrono::system_clock::time_point at) : value_(at) {}

TASKKIT_DECL auto run_delay::empty() const noexcept -> bool { return std::holds_alternative<std::monostate>(value_); }

TASKKIT_DECL auto run_delay::due(std::chrono::system_clock::time_point now) const
    -> std::chrono::system_clock::time_point {
    if (const auto* d = std::get_if<std::chrono::milliseconds>(&value_)) return detail::saturating_add(now, *d);
    if (const auto* t = std::get_if<std::chrono::system_clock::time_point>(&value_)) return *t;
    return now;
}

TASKKIT_DECL auto run_delay::negative() const -> bool {
    const auto* d = std::get_if<std::chrono::milliseconds>(&value_);
    return d && d->count() < 0;
}

TASKKIT_DECL auto trigger_options::validate() const -> void {
    if (delay.negative()) throw options_error("trigger option delay must not be negative");
    if (ttl && ttl->count() <= 0) throw options_error("trigger option ttl must be greater than 0");
    if (idempotency_key_ttl && idempotency_key_ttl->count() <= 0)
        throw options_error("trigger option idempotency_key_ttl must be greater than 0");
    if (idempotency_scope && idempotency_key.empty())
        throw options_error("trigger option idempotency_scope needs an idempotency_key");
    if (debounce.enabled()) {
        if (debounce.key.empty()) throw options_error("trigger option debounce needs a non-empty key");
        if (debounce.delay.count() <= 0) throw options_error("trigger option debounce.delay must be greater than 0");
        if (debounce.max_delay && *debounce.max_delay < debounce.delay)
            throw options_error("trigger option debounce.max_delay must not be shorter than debounce.delay");
        if (!delay.empty())
            throw options_error("trigger options delay and debounce do not go together: debounce.delay delays the run");
        if (debounce.mode != debounce_mode::leading && debounce.mode != debounce_mode::trailing)
            throw options_error("trigger option debounce.mode must be leading or trailing");
    }
    if (tags.size() > max_tags)
        throw options_error("a run takes at most 10 tags (got " + std::to_string(tags.size()) + ")");
    for (const auto& tag : tags) {
        if (tag.empty() || tag.size() > max_tag_length)
            throw options_error("tag '" + tag.substr(0, 32) + "' must be 1 to 128 characters long");
    }
    if (!metadata.is_object() && !metadata.is_null())
        throw options_error("trigger option metadata must be a JSON object");
    // A record's snapshot copies the metadata, and JSON copies recurse: bound it like payloads.
    if (std::string where; !metadata.is_null() && detail::json_depth_exceeds(metadata, max_payload_depth, &where))
        throw options_error("trigger option metadata nests deeper than " + std::to_string(max_payload_depth) +
                            " arrays and objects (taskkit::max_payload_depth), first at " + where);
    if (priority < 0) throw options_error("trigger option priority must not be negative");
    if (max_attempts && *max_attempts < 1) throw options_error("trigger option max_attempts must be at least 1");
    if (max_duration && max_duration->count() <= 0)
        throw options_error("trigger option max_duration must be greater than 0");
    if (machine && !machine->valid())
        throw options_error(
            "trigger option machine needs cpu and memory both greater than 0 (or both 0: machines::none)");
}

}  // namespace taskkit
