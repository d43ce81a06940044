// What the fragments of docs/retries.md use: declared, never defined (the fragments are compiled,
// not linked).
#pragma once
#include <taskkit/taskkit.hpp>

#include <string>

struct account_ref {
    std::string id;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(account_ref, id)
bool exists(const std::string& account_id);

extern const taskkit::task<std::string> call_api;  // the page's handle_error example defines it
