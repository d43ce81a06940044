/// @file trigger_options.hpp
/// Options given when a run is triggered.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/error.hpp>
#include <taskkit/machine.hpp>

namespace taskkit {

/// Per-run options: `task.trigger(payload, {.delay = 5min, .tags = {"user_42"}})`.
struct trigger_options {
    std::optional<std::chrono::milliseconds> delay;         ///< start no earlier than this from now (status delayed)
    std::optional<std::chrono::milliseconds> ttl;           ///< not started within this → expired
    std::vector<std::string> tags;                          ///< at most 10, each 1–128 characters
    nlohmann::json metadata = nlohmann::json::object();     ///< free-form JSON kept on the record
    std::optional<int> max_attempts;                        ///< overrides the task's retry.max_attempts
    std::optional<std::chrono::milliseconds> max_duration;  ///< overrides the task's max_duration
    std::optional<taskkit::machine> machine;                ///< overrides the task's machine

    static constexpr std::size_t max_tags = 10;
    static constexpr std::size_t max_tag_length = 128;

    /// Throws options_error when a field is out of range.
    void validate() const {
        if (delay && delay->count() < 0) throw options_error("trigger option delay must not be negative");
        if (ttl && ttl->count() <= 0) throw options_error("trigger option ttl must be greater than 0");
        if (tags.size() > max_tags)
            throw options_error("a run takes at most 10 tags (got " + std::to_string(tags.size()) + ")");
        for (const auto& tag : tags) {
            if (tag.empty() || tag.size() > max_tag_length)
                throw options_error("tag '" + tag.substr(0, 32) + "' must be 1 to 128 characters long");
        }
        if (!metadata.is_object() && !metadata.is_null()) throw options_error("trigger option metadata must be a JSON object");
        if (max_attempts && *max_attempts < 1) throw options_error("trigger option max_attempts must be at least 1");
        if (max_duration && max_duration->count() <= 0)
            throw options_error("trigger option max_duration must be greater than 0");
        if (machine && (!(machine->cpu > 0) || !(machine->memory > 0)))
            throw options_error("trigger option machine needs cpu and memory greater than 0");
    }
};

}  // namespace taskkit
