// What the fragments of docs/queues.md use: declared, never defined (the fragments are compiled,
// not linked).
#pragma once
#include <taskkit/taskkit.hpp>

#include <string>

struct welcome {
    std::string user;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(welcome, user)
void send_welcome_email(const welcome& w);

struct digest {
    std::string user;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(digest, user)
void send_digest_email(const digest& d);
