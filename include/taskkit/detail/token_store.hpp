/// @file detail/token_store.hpp
/// The waitpoint tokens of a backend that lives in the process (the memory backend): a table
/// under one mutex, with the idempotency keys. Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/backend/token_request.hpp>
#include <taskkit/waitpoint_record.hpp>

namespace taskkit::detail {

class token_store {
public:
    /// Creates a token or answers with the one holding the key (at `now`, the key's ttl read
    /// against it).
    TASKKIT_DECL created_token create(const token_request& request, time_point now);
    /// Completes a token at `now`; throws unknown_token_error or token_timed_out_error.
    TASKKIT_DECL token_completion complete(std::string_view id, const nlohmann::json& data, time_point now);
    [[nodiscard]] TASKKIT_DECL std::optional<token_record> find(std::string_view id, time_point now) const;
    [[nodiscard]] TASKKIT_DECL std::vector<token_record> list(const token_filter& filter, time_point now) const;

private:
    struct key_holder {
        std::string token_id;
        time_point expires_at;
    };
    /// The record with its status read at `now` (waiting past timeout_at: timed_out).
    [[nodiscard]] static token_record at(const token_record& stored, time_point now);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, token_record> tokens_;
    std::map<std::pair<time_point, std::string>, std::string> by_creation_;  // (created_at, id) -> id
    std::unordered_map<std::string, key_holder> keys_;
};

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/token_store.ipp>
#endif
