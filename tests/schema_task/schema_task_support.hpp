// Shared payload types and helpers for the schema_task tests.
#pragma once

#include <optional>
#include <string>

#include <taskkit/schema_task.hpp>

#include "support/taskkit_test.hpp"

namespace schema_task_test {

using json = nlohmann::json;

/// The payload of the "create-user" task. to_json leaves out an empty age, as the schema
/// requires an integer when "age" is present.
struct create_user {
    std::string name;
    std::optional<int> age;
    std::string email;
};

inline void to_json(json& j, const create_user& u) {
    j = json{{"name", u.name}, {"email", u.email}};
    if (u.age) j["age"] = *u.age;
}

inline void from_json(const json& j, create_user& u) {
    j.at("name").get_to(u.name);
    j.at("email").get_to(u.email);
    if (auto it = j.find("age"); it != j.end() && !it->is_null()) {
        u.age = it->get<int>();
    } else {
        u.age.reset();
    }
}

inline json user_schema() {
    return json::parse(R"({
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "age": {"type": "integer", "minimum": 0, "maximum": 150},
            "email": {"type": "string", "pattern": "^[^@]+@[^@]+$"}
        },
        "required": ["name", "email"],
        "additionalProperties": false
    })");
}

}  // namespace schema_task_test
