// A header-only program none of whose files includes <taskkit/runtime.hpp>: it defines and triggers
// a task with <taskkit/task.hpp> alone. It links (no file compiled the engine, and none needs it), and
// the trigger, having no runtime to go to, throws state_error saying what to include.
#include <cstdio>

#include <taskkit/task.hpp>

namespace {

struct ping {
    int n = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ping, n)

const taskkit::task<ping, int> echo({
    .id = "no-runtime-echo",
    .run = [](const ping& p, taskkit::run_context&) { return p.n; },
});

}  // namespace

int main() {
    try {
        auto handle = echo.trigger({.n = 1});
        std::printf("the trigger found a runtime: run %s\n", handle.id().c_str());
        return 1;
    } catch (const taskkit::state_error& e) {
        std::printf("state_error: %s\n", e.what());
        return 0;
    }
}
