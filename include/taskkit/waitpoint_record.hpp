/// @file waitpoint_record.hpp
/// taskkit::token_record — a waitpoint token as the runtime and its backend keep it: status,
/// times, tags and the data it was completed with; token_filter lists them.
#pragma once

#include <taskkit/detail/config.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/run_record.hpp>

namespace taskkit {

/// Where a waitpoint token is in its life.
enum class token_status {
    waiting,    ///< created, not completed, its timeout (if any) not passed
    completed,  ///< completed with data (complete_token)
    timed_out,  ///< its timeout passed first
};

[[nodiscard]] constexpr std::string_view to_string(token_status status) noexcept {
    switch (status) {
        case token_status::waiting:
            return "waiting";
        case token_status::completed:
            return "completed";
        case token_status::timed_out:
            return "timed_out";
    }
    return "unknown";
}

/// The status named `name` ("waiting", "completed", "timed_out"), if any.
[[nodiscard]] constexpr std::optional<token_status> parse_token_status(std::string_view name) noexcept {
    if (name == "waiting") return token_status::waiting;
    if (name == "completed") return token_status::completed;
    if (name == "timed_out") return token_status::timed_out;
    return std::nullopt;
}

/// A waitpoint token: what rt.token(id) and rt.tokens(filter) answer.
struct token_record {
    std::string id;  ///< "waitpoint_…"
    token_status status = token_status::waiting;
    std::string idempotency_key;  ///< empty: none
    std::vector<std::string> tags;
    time_point created_at;
    std::optional<time_point> timeout_at;    ///< when it times out, if it has a timeout
    std::optional<time_point> completed_at;  ///< when completed (status completed)
    nlohmann::json data;                     ///< what it was completed with (null until then)
};

/// `{"id", "status", "idempotency_key", "tags", "created_at", "timeout_at", "completed_at", "data"}`,
/// times in milliseconds since the Unix epoch (null when unset).
void to_json(nlohmann::json& j, const token_record& token);

/// Which tokens to list. Empty fields match everything.
/// @code
/// auto waiting = rt.tokens({.status = taskkit::token_status::waiting, .tag = "order_17"});
/// @endcode
struct token_filter {
    std::optional<token_status> status;  ///< tokens in this status
    std::string tag;                     ///< tokens carrying this tag
    std::size_t limit = 100;             ///< at most this many, newest first

    /// Whether `token` matches (not the limit).
    [[nodiscard]] bool matches(const token_record& token) const;
};

/// What complete_token did.
enum class token_completion {
    completed,          ///< the token was waiting and is completed now with the data given
    already_completed,  ///< the token had been completed before: nothing changed (its data stays)
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/waitpoint_record.ipp>
#endif
