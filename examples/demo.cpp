// taskkit's demo: the seed document's tasks, triggered in the embedded default runtime, with
// every status change of every run printed as it happens.
#include <taskkit/taskkit.hpp>

#include <chrono>
#include <mutex>

using namespace std::chrono_literals;

struct hello_payload {
    std::string message;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(hello_payload, message)

inline const taskkit::task<hello_payload> hello_world({
    .id = "hello-world",
    .run = [](const hello_payload& payload, taskkit::run_context& ctx) { ctx.logger().info("{}", payload.message); },
});

inline const taskkit::task<nlohmann::json, int> task_with_retries({
    .id = "task-with-retries",
    .retry = {.max_attempts = 10, .factor = 1.8, .min_timeout = 500ms, .max_timeout = 30s, .randomize = false},
    .run =
        [](const nlohmann::json&, taskkit::run_context& ctx) {
            if (ctx.attempt().number < 3) throw std::runtime_error("flaky upstream");
            return ctx.attempt().number;
        },
});

inline const taskkit::task<nlohmann::json> one_at_a_time({
    .id = "one-at-a-time",
    .queue = {.concurrency_limit = 1},
    .run = [](const nlohmann::json& payload,
              taskkit::run_context& ctx) { ctx.logger().info("processing item {}", payload.value("item", 0)); },
});

inline const taskkit::task<nlohmann::json> heavy_task({
    .id = "heavy-task",
    .machine = {.cpu = 2, .memory = 4},
    .run = [](const nlohmann::json&,
              taskkit::run_context& ctx) { ctx.logger().info("crunching with {} vCPU", ctx.machine().cpu); },
});

inline const taskkit::task<hello_payload, std::size_t> parent_task({
    .id = "parent-task",
    .run =
        [](const hello_payload& payload, taskkit::run_context& ctx) {
            auto child = hello_world.trigger_and_wait({.message = payload.message + " (from a parent)"});
            ctx.logger().info("child finished: {}", child.ok() ? "ok" : child.error().message);
            return payload.message.size();
        },
});

int main() {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    std::mutex print_mutex;
    auto& rt = taskkit::runtime::default_runtime();
    // Follow every status change as it happens.
    auto subscription = rt.subscribe([&](const taskkit::status_event& e) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start).count();
        std::lock_guard lock(print_mutex);
        fmt::print("{:>6} ms  {:<18} {}  {}{}\n", ms, e.task_id, e.run_id, taskkit::to_string(e.status),
                   e.attempt > 0 ? fmt::format(" (attempt {})", e.attempt) : "");
        std::fflush(stdout);  // keep the order with log lines, which go to stderr
    });

    std::vector<taskkit::run_handle<>> runs;
    auto hello = hello_world.trigger({.message = "Hello world!"});
    fmt::print("Task is running with handle {}\n", hello.id());
    auto retries = task_with_retries.trigger({});
    for (int i = 1; i <= 3; ++i) runs.push_back(rt.trigger("one-at-a-time", {{"item", i}}));
    auto heavy = heavy_task.trigger({}, {.machine = taskkit::machines::small_2x});  // fits any host
    auto parent = parent_task.trigger({.message = "Hi"});

    hello.wait();
    const int attempt = retries.get();
    for (auto& r : runs) r.wait();
    heavy.wait();
    const auto length = parent.get();
    subscription.unsubscribe();

    fmt::print("\ntask-with-retries succeeded on attempt {}; parent-task returned {}\n", attempt, length);
    fmt::print("the parent's record:\n{}\n", nlohmann::json(parent.snapshot()).dump(2));
    return 0;
}
