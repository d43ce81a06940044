// Retries: a task that fails twice, then succeeds on its third attempt. The delays follow
// Trigger.dev's formula exactly: 500 ms, then 500 × 1.8 = 900 ms.
#include <taskkit/taskkit.hpp>

using namespace std::chrono_literals;

inline const taskkit::task<nlohmann::json, int> task_with_retries({
    .id = "task-with-retries",
    .retry = {.max_attempts = 10, .factor = 1.8, .min_timeout = 500ms, .max_timeout = 30s, .randomize = false},
    .run =
        [](const nlohmann::json& payload, taskkit::run_context& ctx) {
            if (ctx.attempt().number <= payload.value("failures", 0)) throw std::runtime_error("the service is busy");
            return ctx.attempt().number;
        },
});

int main() {
    taskkit::runtime rt({.workers = 2});
    auto handle = rt.trigger(task_with_retries, {{"failures", 2}});
    const int attempt = handle.get();  // waits; would rethrow if every attempt failed
    fmt::print("succeeded on attempt {}\n", attempt);
    const auto record = handle.snapshot();
    for (std::size_t i = 1; i < record.attempts.size(); ++i) {
        const auto gap = record.attempts[i].started_at - *record.attempts[i - 1].finished_at;
        fmt::print("attempt {} started {} ms after attempt {} failed ({})\n", record.attempts[i].number,
                   std::chrono::duration_cast<std::chrono::milliseconds>(gap).count(), record.attempts[i - 1].number,
                   record.attempts[i - 1].error->message);
    }
    return attempt == 3 ? 0 : 1;
}
