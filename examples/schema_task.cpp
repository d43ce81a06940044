// A schema task: payloads are checked against a JSON Schema before any run is created.
#include <iostream>
#include <optional>
#include <string>

#include <taskkit/schema_task.hpp>
#include <taskkit/taskkit.hpp>

using json = nlohmann::json;
using namespace nlohmann::literals;

struct create_user {
    std::string name;
    std::optional<int> age;
    std::string email;
};

// An empty age is left out: the schema wants an integer when "age" is present.
void to_json(json& j, const create_user& u) {
    j = json{{"name", u.name}, {"email", u.email}};
    if (u.age) j["age"] = *u.age;
}
void from_json(const json& j, create_user& u) {
    j.at("name").get_to(u.name);
    j.at("email").get_to(u.email);
    if (j.contains("age")) u.age = j.at("age").get<int>();
}

inline const taskkit::schema_task<create_user, std::string> create_user_task({
    .id = "create-user",
    .description = "Creates a user account",
    .schema = R"({"type": "object",
                  "properties": {"name": {"type": "string", "minLength": 1},
                                 "age": {"type": "integer", "minimum": 0, "maximum": 150},
                                 "email": {"type": "string", "pattern": "^[^@]+@[^@]+$"}},
                  "required": ["name", "email"], "additionalProperties": false})"_json,
    .run = [](const create_user& user,
              taskkit::run_context&) { return "created " + user.name + " <" + user.email + ">"; },
});

int main() {
    taskkit::runtime rt({.workers = 2, .log_sink = taskkit::null_log_sink()});

    // 1. A valid typed payload runs.
    auto ok = rt.trigger_and_wait(create_user_task, {.name = "Ada", .age = 36, .email = "ada@example.com"});
    std::cout << "valid: " << ok.unwrap() << '\n';

    // 2. An invalid one is refused at once: no run is created.
    try {
        (void)rt.trigger(create_user_task, {.name = "", .age = 200, .email = "ada"});
        std::cout << "the invalid payload was accepted!\n";
        return 1;
    } catch (const taskkit::validation_error& e) {
        std::cout << "refused (" << e.violations().size() << " violations):\n";
        for (const auto& v : e.violations()) std::cout << "  " << v.message << " [" << v.keyword << "]\n";
    }

    // 3. By id, with JSON (what an HTTP endpoint or a queue consumer would do).
    auto by_id = rt.trigger("create-user", json{{"name", "Grace"}, {"email", "grace@navy.mil"}});
    std::cout << "by id: " << by_id.get().get<std::string>() << '\n';
    try {
        (void)rt.trigger("create-user", R"({"name": "Grace", "mail": "grace@navy.mil"})"_json);
        return 1;
    } catch (const taskkit::validation_error& e) {
        std::cout << e.what() << '\n';
    }

    // Tools can read the schema back from the registry.
    std::cout << "schema requires: " << taskkit::registry::global().schema("create-user")["required"].dump() << '\n';
    return 0;
}
