/// @file detail/impl/memory_backend_tokens.ipp
/// The memory backend's waitpoint tokens: a token_store in the process, its statuses read against
/// the host's clock; a completion is told to the host at once (the runs waiting here wake).
#pragma once

#include <taskkit/detail/memory_backend.hpp>

namespace taskkit::detail {

TASKKIT_DECL auto memory_backend::create_token(const token_request& request) -> created_token {
    if (stopping_.load()) throw runtime_stopped_error("the runtime is shutting down: no new tokens are accepted");
    if (request.id.empty()) throw options_error("a waitpoint token needs an id");
    return tokens_.create(request, clock_->now());
}

TASKKIT_DECL auto memory_backend::complete_token(std::string_view id, const nlohmann::json& data) -> token_completion {
    const auto done = tokens_.complete(id, data, clock_->now());
    if (done == token_completion::completed)
        if (auto* h = host()) h->token_completed(id);
    return done;
}

TASKKIT_DECL auto memory_backend::find_token(std::string_view id) const -> std::optional<token_record> {
    return tokens_.find(id, clock_->now());
}

TASKKIT_DECL auto memory_backend::list_tokens(const token_filter& filter) const -> std::vector<token_record> {
    return tokens_.list(filter, clock_->now());
}

}  // namespace taskkit::detail
