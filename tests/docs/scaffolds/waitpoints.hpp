// What the fragments of docs/waitpoint-tokens.md use: declared, never defined (the fragments are
// compiled, not linked).
#pragma once
#include <taskkit/taskkit.hpp>

#include <chrono>
#include <string>

using namespace std::chrono_literals;

struct refund {
    std::string order;
    int cents = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(refund, order, cents)
void send_review_email(const refund& r, const std::string& token_id);
void remind(const std::string& token_id);
extern taskkit::runtime& rt;
extern const std::string id;
