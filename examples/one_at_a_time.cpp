// Queues: a task with concurrency_limit 1 runs one run at a time, however many are triggered
// and however many workers the runtime has.
#include <taskkit/taskkit.hpp>

#include <atomic>

std::atomic<int> executing{0};
std::atomic<int> peak{0};

inline const taskkit::task<nlohmann::json> one_at_a_time({
    .id = "one-at-a-time",
    .queue = {.concurrency_limit = 1},
    .run =
        [](const nlohmann::json&) {
            const int now = ++executing;
            int seen = peak.load();
            while (now > seen && !peak.compare_exchange_weak(seen, now)) {
            }
            for (int i = 0; i < 1000; ++i) std::this_thread::yield();  // some work
            --executing;
        },
});

int main() {
    taskkit::runtime rt({.workers = 4});
    std::vector<taskkit::run_handle<void>> handles;
    for (int i = 0; i < 20; ++i) handles.push_back(rt.trigger(one_at_a_time, {{"n", i}}));
    for (auto& h : handles) h.wait();
    fmt::print("20 runs on 4 workers; at most {} executed at once\n", peak.load());
    return peak.load() == 1 ? 0 : 1;
}
