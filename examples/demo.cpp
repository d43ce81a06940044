// taskkit's demo: the seed document's tasks, triggered in the embedded default runtime, with
// every status change of every run printed as it happens.
//
// `demo --port 8080` also serves the HTTP API and the dashboard beside the runs, and keeps serving
// after them until Ctrl-C (the token comes from TASKKIT_TOKEN, or is made up); `--port 0` serves on
// a free port while the tasks run, then exits as the demo without a port does.
#include <taskkit/taskkit.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#if TASKKIT_DEMO_HTTP
#include <taskkit/http.hpp>
#endif

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

namespace {

volatile std::sig_atomic_t interrupted = 0;

/// TASKKIT_TOKEN, or 32 random hex digits.
std::string demo_token() {
    if (const char* env = std::getenv("TASKKIT_TOKEN"); env != nullptr && *env != '\0') return env;
    std::random_device device;
    std::string token;
    for (int i = 0; i < 32; ++i) token += "0123456789abcdef"[device() % 16];
    return token;
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<int> port;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            port = std::atoi(argv[++i]);
        } else {
            fmt::print(stderr, "usage: {} [--port N]  (N = 0: a free port, and exit once the tasks are done)\n",
                       argv[0]);
            return 2;
        }
    }
#if TASKKIT_DEMO_HTTP
    std::optional<taskkit::http::server> server;
    if (port) {
        const auto token = demo_token();
        server.emplace(taskkit::runtime::default_runtime(),
                       taskkit::http::server_options{.port = *port, .token = token});
        server->start();
        fmt::print("dashboard: {}/?token={}\ntoken:     {}\n\n", server->url(), token, token);
        std::fflush(stdout);
    }
#else
    if (port) fmt::print(stderr, "this demo was built without taskkit::http (cpp-httplib, OpenSSL): no server\n");
#endif
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
#if TASKKIT_DEMO_HTTP
    if (server && *port != 0) {
        fmt::print("\nserving the dashboard at {}/ until Ctrl-C\n", server->url());
        std::fflush(stdout);
        std::signal(SIGINT, [](int) { interrupted = 1; });
        std::signal(SIGTERM, [](int) { interrupted = 1; });
        while (interrupted == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        server->stop();
    }
#endif
    return 0;
}
