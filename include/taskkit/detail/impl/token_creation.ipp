/// @file detail/impl/token_creation.ipp
/// The definitions of what <taskkit/detail/token_creation.hpp> declares.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>

#include <taskkit/backend/backend.hpp>
#include <taskkit/detail/time_math.hpp>
#include <taskkit/detail/token_creation.hpp>
#include <taskkit/error.hpp>

namespace taskkit::detail {

TASKKIT_DECL void validate(const token_options& options) {
    if (options.timeout && options.timeout->count() <= 0)
        throw options_error("token option timeout must be greater than 0");
    if (options.idempotency_key_ttl && options.idempotency_key_ttl->count() <= 0)
        throw options_error("token option idempotency_key_ttl must be greater than 0");
    if (options.idempotency_key_ttl && options.idempotency_key.empty())
        throw options_error("token option idempotency_key_ttl needs an idempotency_key");
    if (options.tags.size() > token_options::max_tags)
        throw options_error("a waitpoint token takes at most 10 tags (got " + std::to_string(options.tags.size()) +
                            ")");
    for (const auto& tag : options.tags)
        if (tag.empty() || tag.size() > token_options::max_tag_length)
            throw options_error("tag '" + tag.substr(0, 32) + "' must be 1 to 128 characters long");
}

TASKKIT_DECL std::string make_token_id() {
    static const std::uint64_t salt = [] {
        std::random_device seed;
        return (static_cast<std::uint64_t>(seed()) << 32) ^ seed();
    }();
    static std::atomic<std::uint64_t> counter{0};
    const auto n = counter.fetch_add(1, std::memory_order_relaxed) + 1;
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "waitpoint_%016llx%08llx", static_cast<unsigned long long>(salt),
                  static_cast<unsigned long long>(n & 0xffffffffULL));
    return buffer;
}

TASKKIT_DECL waitpoint_token create_token(backend& runs, time_point now, const token_options& options,
                                          std::string_view default_key) {
    validate(options);
    const std::string key = options.idempotency_key.empty() ? std::string(default_key) : options.idempotency_key;
    const std::string id = make_token_id();
    token_request request;
    request.id = id;
    request.idempotency_key = key;
    request.idempotency_expires_at =
        saturating_add(now, options.idempotency_key_ttl.value_or(std::chrono::hours(24 * 30)));
    request.tags = options.tags;
    request.created_at = now;
    if (options.timeout) request.timeout_at = saturating_add(now, *options.timeout);
    auto made = runs.create_token(request);
    return waitpoint_token{std::move(made.token.id), made.token.timeout_at, made.existing};
}

}  // namespace taskkit::detail
