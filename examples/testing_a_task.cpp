// Unit-testing a task directly with taskkit/testing.hpp: no threads, no real time. The task
// fails twice; the test sees three attempts, the exact delays between them, logs and output,
// in microseconds of real time though the retries span 3 virtual seconds.
#include <taskkit/taskkit.hpp>
#include <taskkit/testing.hpp>

inline const taskkit::task<int, int> flaky_double({
    .id = "flaky-double",
    .retry = {.max_attempts = 3},  // randomized delays: the harness's random source is 0 by default
    .run =
        [](const int& n, taskkit::run_context& ctx) {
            ctx.logger().info("attempt {}", ctx.attempt().number);
            if (ctx.attempt().number < 3) throw std::runtime_error("not yet");
            return 2 * n;
        },
});

#define EXPECT(condition)                                               \
    do {                                                                \
        if (!(condition)) {                                             \
            fmt::print(stderr, "expectation failed: {}\n", #condition); \
            return 1;                                                   \
        }                                                               \
    } while (false)

int main() {
    using namespace std::chrono_literals;
    const auto run = taskkit::testing::run_inline(flaky_double, 21);
    EXPECT(run.outcome.ok());
    EXPECT(run.outcome.output() == 42);
    EXPECT(run.record.attempts.size() == 3);
    EXPECT(run.retry_delays == (std::vector<std::chrono::milliseconds>{1000ms, 2000ms}));
    EXPECT(run.record.logs.size() == 3);
    EXPECT(run.record.attempts[0].error->message == "not yet");
    fmt::print("3 attempts, delays {} ms and {} ms, output {}\n", run.retry_delays[0].count(),
               run.retry_delays[1].count(), run.outcome.output());
    return 0;
}
