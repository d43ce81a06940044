// Scale: the cost of one trigger and of one dequeue (taking the next run off its queue and
// executing a no-op attempt) while many runs wait:
//   - 10, 10,000 and 1,000,000 runs queued on a queue with concurrency_limit 1;
//   - 100,000 runs queued over 10, 1,000 and 100,000 concurrency keys (limit 1 per key);
//   - 10 and 1,000,000 pending retry timers (runs that failed once, retrying in an hour on a
//     virtual clock) while other runs are triggered and dequeued.
// The runtime has no worker threads (`.workers = 0`), so the runs stay queued until the benchmark
// drives them on its own thread: the figures are the scheduler's own costs, without thread wake-ups.
// Each figure is the median over 7 rounds of 10,000 triggers, then 10,000 dequeues, measured after
// 11 warm-up rounds.
//   bench_scale --benchmark_counters_tabular=true
// Goal: the cost stays within 2x from the smallest to the largest case. A summary table is printed at the end.
#include <taskkit/taskkit.hpp>

#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using steady = std::chrono::steady_clock;

constexpr std::size_t per_round = 10'000;
constexpr int rounds = 7;
constexpr int warmup_rounds = 11;
constexpr std::size_t keyed_depth = 100'000;

struct cost {
    double trigger_ns = 0;
    double dequeue_ns = 0;
};
std::map<std::string, cost>& results() {
    static std::map<std::string, cost> all;
    return all;
}

/// A registry with the measured task (queue limit 1) and a task that fails once, then retries in
/// an hour; a runtime without worker threads.
struct fixture {
    taskkit::registry reg;
    std::atomic<std::size_t> executed{0};
    taskkit::task<int, int> work{{.id = "work",
                                  .queue = {.concurrency_limit = 1},
                                  .run =
                                      [this](const int& n) {
                                          executed.fetch_add(1, std::memory_order_relaxed);
                                          return n;
                                      }},
                                 reg};
    taskkit::task<int, int> flaky{{.id = "flaky",
                                   .retry = {.max_attempts = 2,
                                             .min_timeout = std::chrono::hours(1),
                                             .max_timeout = std::chrono::hours(1),
                                             .randomize = false},
                                   .run = [](const int&) -> int { throw std::runtime_error("fails once"); }},
                                  reg};
    taskkit::runtime rt;

    explicit fixture(std::shared_ptr<taskkit::clock> clock = nullptr)
        : rt({.workers = 0, .clock = std::move(clock), .registry = &reg, .log_sink = taskkit::null_log_sink()}) {}
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

/// Rounds of `per_round` timed triggers, then `per_round` timed dequeues; medians in ns per operation.
cost measure(benchmark::State& state, fixture& f, const std::function<taskkit::trigger_options(std::size_t)>& options) {
    std::vector<double> trigger_ns;
    std::vector<double> dequeue_ns;
    std::size_t next = 0;
    for (auto _ : state) {
        double total = 0;
        // Warm-up rounds fill the store's window of retained finished runs (100,000 by default), so
        // every case is measured in the same steady state: each round's finished runs replace as
        // many older ones, and the allocator reuses their memory.
        for (int r = -warmup_rounds; r < rounds; ++r) {
            const auto t0 = steady::now();
            for (std::size_t i = 0; i < per_round; ++i, ++next)
                (void)f.rt.trigger(f.work, static_cast<int>(next), options(next));
            const auto t1 = steady::now();
            const std::size_t target = f.executed.load() + per_round;
            f.rt.core()->drive_until([&] { return f.executed.load(std::memory_order_relaxed) >= target; });
            const auto t2 = steady::now();
            if (r < 0) continue;
            trigger_ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / per_round);
            dequeue_ns.push_back(std::chrono::duration<double, std::nano>(t2 - t1).count() / per_round);
            total += std::chrono::duration<double>(t2 - t0).count();
        }
        state.SetIterationTime(total);
    }
    const cost c{median(trigger_ns), median(dequeue_ns)};
    state.counters["trigger_ns"] = c.trigger_ns;
    state.counters["dequeue_ns"] = c.dequeue_ns;
    return c;
}

void fill(fixture& f, std::size_t count, const std::function<taskkit::trigger_options(std::size_t)>& options) {
    for (std::size_t i = 0; i < count; ++i) (void)f.rt.trigger(f.work, -1, options(i));
}

void queued_depth(benchmark::State& state) {
    const auto depth = static_cast<std::size_t>(state.range(0));
    fixture f;
    auto no_options = [](std::size_t) { return taskkit::trigger_options{}; };
    fill(f, depth, no_options);
    results()["depth/" + std::to_string(depth)] = measure(state, f, no_options);
}

void concurrency_keys(benchmark::State& state) {
    const auto key_count = static_cast<std::size_t>(state.range(0));
    std::vector<std::string> keys;
    for (std::size_t k = 0; k < key_count; ++k) keys.push_back("customer-" + std::to_string(k));
    fixture f;
    auto keyed = [&](std::size_t i) { return taskkit::trigger_options{.concurrency_key = keys[i % key_count]}; };
    fill(f, keyed_depth, keyed);
    results()["keys/" + std::to_string(key_count)] = measure(state, f, keyed);
}

void retry_timers(benchmark::State& state) {
    const auto timers = static_cast<std::size_t>(state.range(0));
    fixture f(std::make_shared<taskkit::virtual_clock>());
    for (std::size_t i = 0; i < timers; ++i) (void)f.rt.trigger(f.flaky, static_cast<int>(i));
    f.rt.core()->run_ready();  // every attempt fails and arms its retry timer, an hour away
    state.counters["pending_timers"] = static_cast<double>(timers);
    results()["timers/" + std::to_string(timers)] =
        measure(state, f, [](std::size_t) { return taskkit::trigger_options{}; });
}

void print_summary() {
    std::printf("\n| benchmark | taskkit | comparator | ratio | goal | met? |\n|---|---|---|---|---|---|\n");
    struct row {
        const char* what;
        std::string large;
        std::string small;
    };
    const row rows[] = {{"queued runs 10,000 vs 10", "depth/10000", "depth/10"},
                        {"queued runs 1,000,000 vs 10", "depth/1000000", "depth/10"},
                        {"concurrency keys 1,000 vs 10", "keys/1000", "keys/10"},
                        {"concurrency keys 100,000 vs 10", "keys/100000", "keys/10"},
                        {"retry timers 1,000,000 vs 10", "timers/1000000", "timers/10"}};
    for (const auto& r : rows) {
        if (!results().count(r.large) || !results().count(r.small)) continue;
        const cost& big = results()[r.large];
        const cost& base = results()[r.small];
        const double rt = big.trigger_ns / base.trigger_ns;
        const double rd = big.dequeue_ns / base.dequeue_ns;
        std::printf("| scale: trigger, %s | %.0f ns | %.0f ns | %.2f | <= 2x | %s |\n", r.what, big.trigger_ns,
                    base.trigger_ns, rt, rt <= 2.0 ? "yes" : "NO");
        std::printf("| scale: dequeue+execute, %s | %.0f ns | %.0f ns | %.2f | <= 2x | %s |\n", r.what, big.dequeue_ns,
                    base.dequeue_ns, rd, rd <= 2.0 ? "yes" : "NO");
    }
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    for (long depth : {10L, 10'000L, 1'000'000L})
        benchmark::RegisterBenchmark("queued_depth", queued_depth)
            ->Arg(depth)
            ->Iterations(1)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    for (long keys : {10L, 1'000L, 100'000L})
        benchmark::RegisterBenchmark("concurrency_keys", concurrency_keys)
            ->Arg(keys)
            ->Iterations(1)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    for (long timers : {10L, 1'000'000L})
        benchmark::RegisterBenchmark("retry_timers", retry_timers)
            ->Arg(timers)
            ->Iterations(1)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    return run_benchmarks(argc, argv, [&] { print_summary(); });
}
