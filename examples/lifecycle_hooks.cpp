// Lifecycle hooks: init, cleanup, middleware, on_start, on_success, on_failure, on_complete and
// handle_error, in the order taskkit runs them.
#include <taskkit/taskkit.hpp>

using namespace std::chrono_literals;

inline const taskkit::task<int, int> charge({
    .id = "charge",
    .retry = {.max_attempts = 3, .min_timeout = 10ms, .randomize = false},
    .run =
        [](const int& cents, taskkit::run_context& ctx) {
            fmt::print("  run (attempt {})\n", ctx.attempt().number);
            if (ctx.attempt().number == 1) throw std::runtime_error("gateway timeout");
            return cents;
        },
    .init = [](const int&, taskkit::run_context&) { fmt::print("  init\n"); },
    .cleanup = [](const int&, taskkit::run_context&) { fmt::print("  cleanup\n"); },
    .middleware =
        [](const int&, taskkit::run_context& ctx, const std::function<void()>& next) {
            fmt::print("attempt {}:\n  middleware before\n", ctx.attempt().number);
            next();
            fmt::print("  middleware after\n");
        },
    .on_start = [](const int&, taskkit::run_context&) { fmt::print("  on_start (first attempt only)\n"); },
    .on_success = [](const int&, const int& out, taskkit::run_context&) { fmt::print("  on_success: {}\n", out); },
    .on_failure = [](const int&, const taskkit::error_info& e,
                     taskkit::run_context&) { fmt::print("  on_failure: {}\n", e.message); },
    .on_complete = [](const int&, const taskkit::result<int>& r,
                      taskkit::run_context&) { fmt::print("  on_complete: {}\n", taskkit::to_string(r.status())); },
    .handle_error =
        [](const int&, const taskkit::error_info& e, taskkit::run_context&) {
            fmt::print("  handle_error: {} (retrying)\n", e.message);
            return taskkit::error_decision{};  // keep the retry plan
        },
});

int main() {
    taskkit::runtime rt({.workers = 1});
    return rt.trigger(charge, 250).get() == 250 ? 0 : 1;
}
