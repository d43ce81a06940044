// What the fragments of docs/concurrency.md use: declared, never defined (the fragments are
// compiled, not linked).
#pragma once
#include <taskkit/taskkit.hpp>

#include <string>

struct email {
    std::string to;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(email, to)
void send(const email& message);

struct report_request {
    std::string user;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(report_request, user)
extern const taskkit::task<report_request> report;
