/// @file detail/impl/token_store.ipp
/// The definitions of what <taskkit/detail/token_store.hpp> declares.
#pragma once

#include <taskkit/detail/token_store.hpp>
#include <taskkit/error.hpp>

namespace taskkit::detail {

TASKKIT_DECL auto token_store::at(const token_record& stored, time_point now) -> token_record {
    token_record out = stored;
    if (out.status == token_status::waiting && out.timeout_at && now >= *out.timeout_at)
        out.status = token_status::timed_out;
    return out;
}

TASKKIT_DECL auto token_store::create(const token_request& request, time_point now) -> created_token {
    std::lock_guard lock(mutex_);
    if (!request.idempotency_key.empty()) {
        auto it = keys_.find(std::string(request.idempotency_key));
        if (it != keys_.end() && now < it->second.expires_at) {
            if (auto held = tokens_.find(it->second.token_id); held != tokens_.end())
                return created_token{at(held->second, now), true};
        }
    }
    token_record token;
    token.id = std::string(request.id);
    token.idempotency_key = std::string(request.idempotency_key);
    token.tags.assign(request.tags.begin(), request.tags.end());
    token.created_at = request.created_at;
    token.timeout_at = request.timeout_at;
    if (tokens_.count(token.id)) throw state_error("a waitpoint token with id '" + token.id + "' exists already");
    if (!token.idempotency_key.empty())
        keys_[token.idempotency_key] = key_holder{token.id, request.idempotency_expires_at};
    by_creation_.emplace(std::pair{token.created_at, token.id}, token.id);
    auto& stored = tokens_.emplace(token.id, std::move(token)).first->second;
    return created_token{at(stored, now), false};
}

TASKKIT_DECL auto token_store::complete(std::string_view id, const nlohmann::json& data, time_point now)
    -> token_completion {
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(std::string(id));
    if (it == tokens_.end()) throw unknown_token_error(id);
    auto& token = it->second;
    switch (at(token, now).status) {
        case token_status::completed:
            return token_completion::already_completed;
        case token_status::timed_out:
            throw token_timed_out_error(id);
        case token_status::waiting:
            break;
    }
    token.status = token_status::completed;
    token.completed_at = now;
    token.data = data;
    return token_completion::completed;
}

TASKKIT_DECL auto token_store::find(std::string_view id, time_point now) const -> std::optional<token_record> {
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(std::string(id));
    if (it == tokens_.end()) return std::nullopt;
    return at(it->second, now);
}

TASKKIT_DECL auto token_store::list(const token_filter& filter, time_point now) const -> std::vector<token_record> {
    std::lock_guard lock(mutex_);
    std::vector<token_record> out;
    for (auto it = by_creation_.rbegin(); it != by_creation_.rend() && out.size() < filter.limit; ++it) {
        auto token = at(tokens_.at(it->second), now);
        if (filter.matches(token)) out.push_back(std::move(token));
    }
    return out;
}

}  // namespace taskkit::detail
