// The seed's first snippet: a hello-world task, triggered from "backend code" on the embedded
// default runtime. The handle gives the run's id and status, and can cancel or retry it.
#include <taskkit/taskkit.hpp>

struct hello_payload {
    std::string message;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(hello_payload, message)

// 1. Define each task once, at namespace scope. 2. Give it a unique id. 3. The run function.
inline const taskkit::task<hello_payload> hello_world({
    .id = "hello-world",
    .run =
        [](const hello_payload& payload, taskkit::run_context& ctx) {
            // 4. Code here can run for a long time: it runs on a worker thread.
            ctx.logger().info("{}", payload.message);
        },
});

// "Your backend code"
void trigger_hello_world() {
    // This triggers the task and returns a handle.
    auto handle = hello_world.trigger({.message = "Hello world!"});
    // You can use the handle to check the status of the task, cancel and retry it.
    fmt::print("Task is running with handle {}\n", handle.id());
    handle.wait();
    fmt::print("Run {} ended {}\n", handle.id(), taskkit::to_string(handle.status()));
}

int main() {
    trigger_hello_world();
    return 0;
}
