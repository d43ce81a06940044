// Shutting down a service: a run waiting for a day is woken at once (its wait returns false), and
// a run still executing gets a grace period before its stop token is requested. The program's own
// runtime is the default one, so task.trigger() goes there, and leaving main takes milliseconds.
#include <taskkit/taskkit.hpp>

#include <chrono>
#include <latch>
#include <thread>

using namespace std::chrono_literals;

std::latch started{2};

inline const taskkit::task<std::string> follow_up({
    .id = "follow-up",
    .run =
        [](const std::string& user, taskkit::run_context& ctx) {
            ctx.logger().info("welcome mail sent to {}", user);
            started.count_down();
            if (!ctx.wait_for(24h)) {  // false: canceled, or the runtime is shutting down
                fmt::print("follow-up for {}: wait interrupted\n", user);
                return;
            }
            ctx.logger().info("tips mail sent to {}", user);
        },
});

inline const taskkit::task<int, int> crunch({
    .id = "crunch",
    .run =
        [](const int& chunks, taskkit::run_context& ctx) {
            started.count_down();
            int done = 0;
            for (; done < chunks && !ctx.stop_requested(); ++done) std::this_thread::sleep_for(1ms);  // a chunk
            return done;
        },
});

int main() {
    taskkit::runtime rt({.shutdown_grace = 100ms});  // the first runtime the program makes: the default
    auto reminder = follow_up.trigger("ada@example.org");
    auto job = crunch.trigger(1'000'000);  // about 17 minutes of work
    started.wait();
    rt.shutdown();  // or let rt go out of scope: the destructor shuts down the same way
    fmt::print("follow-up: {}, crunch: {}\n", taskkit::to_string(reminder.status()), taskkit::to_string(job.status()));
    return reminder.status() == taskkit::run_status::canceled && job.status() == taskkit::run_status::canceled ? 0 : 1;
}
