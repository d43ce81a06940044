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
