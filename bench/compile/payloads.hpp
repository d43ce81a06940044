// Compile-time fixtures: the payload types of tasks.cpp, also converted by json_payloads.cpp (the
// floor): three structs nlohmann/json converts, as a user's header of payload types holds.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fixture {

struct signup {
    std::string name;
    int age = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(signup, name, age)

struct basket {
    std::vector<std::string> items;
    double total = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(basket, items, total)

struct tally {
    std::string user;
    std::map<std::string, int> counts;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(tally, user, counts)

}  // namespace fixture
