// Rate limits: at most 3 calls to a partner API per second, whatever is triggered. Runs beyond
// the limit wait in the queue; none is dropped. A virtual clock makes the demonstration instant.
#include <taskkit/taskkit.hpp>

#include <mutex>

using namespace std::chrono_literals;

std::mutex mutex;
std::vector<taskkit::time_point> calls;

inline const taskkit::task<int> call_partner_api({
    .id = "call-partner-api",
    .queue = {.rate_limit = taskkit::rate_limit{.limit = 3, .period = 1s}},
    .run =
        [](const int&, taskkit::run_context& ctx) {
            std::lock_guard lock(mutex);
            calls.push_back(ctx.now());
        },
});

int main() {
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::runtime rt({.workers = 2, .clock = clock});
    const auto start = clock->now();
    std::vector<taskkit::run_handle<void>> runs;
    for (int i = 0; i < 10; ++i) runs.push_back(rt.trigger(call_partner_api, i));
    while (!taskkit::wait_all_for(50ms, runs)) clock->advance(1s);  // let virtual seconds pass

    std::lock_guard lock(mutex);
    std::sort(calls.begin(), calls.end());
    bool within = true;
    for (std::size_t i = 3; i < calls.size(); ++i) within = within && calls[i] - calls[i - 3] >= 1s;
    for (const auto& t : calls)
        fmt::print("call at +{} ms\n", std::chrono::duration_cast<std::chrono::milliseconds>(t - start).count());
    fmt::print("{} calls, never more than 3 in any second: {}\n", calls.size(), within ? "yes" : "no");
    return calls.size() == 10 && within ? 0 : 1;
}
