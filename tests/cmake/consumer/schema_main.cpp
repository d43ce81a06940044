// A user's program that uses the schema integration: a schema task refuses a bad payload.
// Built header-only (taskkit::schema) and in separate compilation (taskkit::compiled and
// taskkit::schema_compiled: one more word in the same line of CMake).
#include <taskkit/schema_task.hpp>
#include <taskkit/taskkit.hpp>

#include <cstdio>

#if defined(EXPECT_SEPARATE_COMPILATION) != defined(TASKKIT_SEPARATE_COMPILATION)
#error "taskkit::schema_compiled must define TASKKIT_SEPARATE_COMPILATION, and taskkit::schema must not"
#endif

inline const taskkit::schema_task<nlohmann::json, int> count_items({
    .id = "count-items",
    .schema = nlohmann::json::parse(R"({"type": "array", "maxItems": 3})"),
    .run = [](const nlohmann::json& items) { return static_cast<int>(items.size()); },
});

int main() {
    taskkit::runtime rt({.workers = 1});
    const int counted = rt.trigger(count_items, nlohmann::json::array({1, 2})).get();
    bool refused = false;
    try {
        (void)rt.trigger(count_items, nlohmann::json::array({1, 2, 3, 4}));
    } catch (const taskkit::validation_error& e) {
        refused = true;
        std::printf("refused: %s\n", e.what());
    }
    std::printf("counted %d\n", counted);
    return counted == 2 && refused ? 0 : 1;
}
