// Compile-time fixture: what a user's task file usually holds, three tasks over the payload structs
// of payloads.hpp, triggered and awaited. It includes <taskkit/task.hpp>, as a file that defines and
// triggers tasks does; the runtime is created in main.cpp, the program's other file (timed by
// bench/run, and built and linked with the benchmarks, header-only and separately compiled, so that
// it keeps compiling).
#include <taskkit/task.hpp>

#include "payloads.hpp"

namespace fixture {

inline const taskkit::task<signup, int> welcome({
    .id = "fixture-welcome",
    .run = [](const signup& s, taskkit::run_context&) { return s.age; },
});

inline const taskkit::task<basket, std::string> checkout({
    .id = "fixture-checkout",
    .retry = {.max_attempts = 3},
    .run = [](const basket& b, taskkit::run_context&) { return b.items.empty() ? std::string() : b.items.front(); },
});

inline const taskkit::task<tally> count({
    .id = "fixture-count",
    .queue = {.concurrency_limit = 1},
    .run = [](const tally& t, taskkit::run_context& ctx) { ctx.logger().info("counted {}", t.user); },
});

int trigger_three() {
    auto a = fixture::welcome.trigger({.name = "Ada", .age = 36});
    auto b = fixture::checkout.trigger({.items = {"book"}, .total = 12.5});
    auto c = fixture::count.trigger({.user = "ada", .counts = {{"books", 1}}});
    c.wait();
    return a.get() + static_cast<int>(b.get().size());
}

}  // namespace fixture
