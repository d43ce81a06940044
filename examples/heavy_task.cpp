// Machines: a task declares the cpu and memory its runs need; the runtime starts a run only
// when its machine fits in the runtime's capacity.
#include <taskkit/taskkit.hpp>

#include <atomic>

std::atomic<int> executing{0};
std::atomic<int> peak{0};

inline const taskkit::task<nlohmann::json> heavy_task({
    .id = "heavy-task",
    .machine = {.cpu = 2, .memory = 4},
    .run =
        [](const nlohmann::json&, taskkit::run_context& ctx) {
            const int now = ++executing;
            int seen = peak.load();
            while (now > seen && !peak.compare_exchange_weak(seen, now)) {
            }
            ctx.logger().info("running with {} vCPU and {} GB", ctx.machine().cpu, ctx.machine().memory);
            for (int i = 0; i < 1000; ++i) std::this_thread::yield();
            --executing;
        },
});

int main() {
    // A budget of 4 vCPU / 16 GB: two heavy runs fit at once, whatever the worker count.
    taskkit::runtime rt({.workers = 8, .capacity = taskkit::machine{.cpu = 4, .memory = 16}});
    std::vector<taskkit::run_handle<void>> handles;
    for (int i = 0; i < 6; ++i) handles.push_back(rt.trigger(heavy_task, nlohmann::json::object()));
    for (auto& h : handles) h.wait();
    fmt::print("6 heavy runs; at most {} at once within 4 vCPU\n", peak.load());

    // A machine larger than the capacity can never run: the trigger says so at once.
    try {
        (void)rt.trigger(heavy_task, nlohmann::json::object(), {.machine = taskkit::machines::large_2x});
    } catch (const taskkit::machine_error& e) {
        fmt::print("refused: {}\n", e.what());
    }
    return peak.load() <= 2 ? 0 : 1;
}
