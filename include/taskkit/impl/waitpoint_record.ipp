/// @file impl/waitpoint_record.ipp
/// The definitions of what <taskkit/waitpoint_record.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <algorithm>

#include <taskkit/waitpoint_record.hpp>

namespace taskkit {

TASKKIT_DECL void to_json(nlohmann::json& j, const token_record& token) {
    j = detail::empty_object();
    j["id"] = token.id;
    j["status"] = std::string(to_string(token.status));
    j["idempotency_key"] = token.idempotency_key;
    j["tags"] = token.tags;
    j["created_at"] = detail::to_millis(token.created_at);
    j["timeout_at"] = detail::optional_millis(token.timeout_at);
    j["completed_at"] = detail::optional_millis(token.completed_at);
    j["data"] = token.data;
}

TASKKIT_DECL bool token_filter::matches(const token_record& token) const {
    if (status && token.status != *status) return false;
    if (!tag.empty() && std::find(token.tags.begin(), token.tags.end(), tag) == token.tags.end()) return false;
    return true;
}

}  // namespace taskkit
