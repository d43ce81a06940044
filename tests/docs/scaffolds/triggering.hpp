// What the fragments of docs/triggering.md use: declared, never defined (the fragments are
// compiled, not linked).
#pragma once
#include <taskkit/taskkit.hpp>

#include <string>

struct digest_request {
    std::string user;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(digest_request, user)
extern const taskkit::task<digest_request> send_digest;
extern const digest_request payload;

// The idempotency scopes section: a charge triggered from an order's run, a welcome email per user.
extern const taskkit::task<int, std::string> charge;
extern const int amount;
struct welcome_user {
    std::string id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(welcome_user, id)
extern const taskkit::task<welcome_user> send_welcome;
extern const welcome_user user;
