/// @file schedule/impl/schedule_payload.ipp
/// The definitions of what <taskkit/schedule/schedule_payload.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/schedule/src.hpp>
/// (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/schedule/schedule_payload.hpp>

namespace taskkit {

TASKKIT_DECL auto to_json(nlohmann::json& j, const schedule_payload& p) -> void {
    j = {{"schedule_id", p.schedule_id},
         {"type", p.type},
         {"timestamp", p.timestamp},
         {"last_timestamp", p.last_timestamp ? nlohmann::json(*p.last_timestamp) : nlohmann::json(nullptr)},
         {"timezone", p.timezone},
         {"upcoming", p.upcoming},
         {"external_id", p.external_id ? nlohmann::json(*p.external_id) : nlohmann::json(nullptr)}};
}

TASKKIT_DECL auto from_json(const nlohmann::json& j, schedule_payload& p) -> void {
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

}  // namespace taskkit
