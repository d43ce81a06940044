// What the fragments of docs/runs.md use: declared, never defined (the fragments are compiled,
// not linked).
#pragma once
#include <taskkit/taskkit.hpp>

#include <string>

extern taskkit::runtime rt;
extern const std::string run_id;
extern taskkit::run_context& ctx;  // inside a run

struct purchase {
    std::string id;
    int cents = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(purchase, id, cents)
extern const taskkit::task<purchase> charge;
extern const purchase order;
