// The tasks of the sign-up flow, declared for the rest of the program: their payload types and the
// functions that trigger them. The task objects themselves live in signup_tasks.cpp.
#pragma once

#include <string>

#include <taskkit/task.hpp>

namespace signup {

struct new_user {
    std::string email;
    int plan = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(new_user, email, plan)

/// Triggers the welcome task for `user` and waits for the id of the email it sent.
std::string welcome(const new_user& user);

}  // namespace signup
