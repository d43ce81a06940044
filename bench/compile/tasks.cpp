// Compile-time fixture: what a user's task file usually holds, three tasks over payload structs that
// nlohmann/json converts, triggered and awaited. It includes <taskkit/task.hpp>, as a file that defines
// and triggers tasks does; the runtime is created in main.cpp, the program's other file (timed by
// bench/run, and built and linked with the benchmarks, header-only and separately compiled, so that
// it keeps compiling).
#include <map>
#include <string>
#include <vector>

#include <taskkit/task.hpp>

namespace fixture {

struct signup {
    std::string name;
    int age = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(signup, name, age)

struct basket {
    std::vector<std::string> items;
    double total = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(basket, items, total)

struct tally {
    std::string user;
    std::map<std::string, int> counts;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(tally, user, counts)

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
