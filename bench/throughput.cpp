// Throughput: trigger and complete N no-op runs of a typed task (handles kept, all awaited), against
// boost::asio::thread_pool + std::promise/std::future, tbb::task_group in a task_arena, and
// std::async(std::launch::async), on the same number of worker threads W (1, 2 and the core count).
//   bench_throughput --benchmark_counters_tabular=true
// Each system runs for at least 2 s per worker count; the summary compares the medians of the
// iterations' rates (20,000 runs each).
// Goals: taskkit >= 0.5x Asio and > std::async. A summary table is printed at the end.
#include <taskkit/taskkit.hpp>

#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int runs_per_iteration = 20'000;

using steady = std::chrono::steady_clock;

/// Runs per second measured so far, by "<system>/<W>".
std::map<std::string, double>& rates() {
    static std::map<std::string, double> all;
    return all;
}

/// Times each iteration's body and reports it as the iteration time. The rate kept for the
/// summary is the median of the iterations' rates: on a shared machine one stalled iteration
/// (a descheduled worker) would otherwise move a whole row.
template <class Body>
void measure(benchmark::State& state, const std::string& name, Body&& body) {
    std::vector<double> per_iteration;
    std::int64_t runs = 0;
    for (auto _ : state) {
        const auto start = steady::now();
        body();
        const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
        state.SetIterationTime(elapsed);
        per_iteration.push_back(runs_per_iteration / elapsed);
        runs += runs_per_iteration;
    }
    std::sort(per_iteration.begin(), per_iteration.end());
    const double rate = per_iteration.empty() ? 0 : per_iteration[per_iteration.size() / 2];
    rates()[name] = rate;
    state.counters["runs_per_s"] = rate;
    state.SetItemsProcessed(runs);
}

void asio_thread_pool(benchmark::State& state) {
    const auto workers = static_cast<std::size_t>(state.range(0));
    boost::asio::thread_pool pool(workers);
    std::vector<std::future<int>> futures;
    futures.reserve(runs_per_iteration);
    measure(state, "asio/" + std::to_string(workers), [&] {
        futures.clear();
        for (int i = 0; i < runs_per_iteration; ++i) {
            std::promise<int> promise;
            futures.push_back(promise.get_future());
            boost::asio::post(pool, [p = std::move(promise), i]() mutable { p.set_value(i); });
        }
        for (auto& f : futures) benchmark::DoNotOptimize(f.get());
    });
    pool.join();
}

void tbb_task_group(benchmark::State& state) {
    const auto workers = static_cast<int>(state.range(0));
    tbb::task_arena arena(workers);  // the calling thread takes one of the W slots
    std::vector<int> out(runs_per_iteration);
    measure(state, "tbb/" + std::to_string(workers), [&] {
        arena.execute([&] {
            tbb::task_group group;
            for (int i = 0; i < runs_per_iteration; ++i) group.run([&out, i] { out[static_cast<std::size_t>(i)] = i; });
            group.wait();
        });
        benchmark::DoNotOptimize(out.data());
    });
}

void std_async(benchmark::State& state) {
    std::vector<std::future<int>> futures;
    futures.reserve(runs_per_iteration);
    measure(state, "async", [&] {
        futures.clear();
        for (int i = 0; i < runs_per_iteration; ++i)
            futures.push_back(std::async(std::launch::async, [i] { return i; }));
        for (auto& f : futures) benchmark::DoNotOptimize(f.get());
    });
}

void taskkit_runtime(benchmark::State& state) {
    const auto workers = static_cast<unsigned>(state.range(0));
    taskkit::registry reg;
    const taskkit::task<int, int> noop({.id = "noop", .run = [](const int& n) { return n; }}, reg);
    taskkit::runtime rt({.workers = workers, .registry = &reg, .log_sink = taskkit::null_log_sink()});
    std::vector<taskkit::run_handle<int>> handles;
    handles.reserve(runs_per_iteration);
    const std::string w = std::to_string(workers);
    measure(state, "taskkit/" + w, [&] {
        handles.clear();
        for (int i = 0; i < runs_per_iteration; ++i) handles.push_back(rt.trigger(noop, i));
        for (auto& h : handles) benchmark::DoNotOptimize(h.get());
    });
    const double mine = rates()["taskkit/" + w];
    for (const char* other : {"asio", "tbb"}) {
        const double theirs = rates()[std::string(other) + "/" + w];
        if (theirs > 0) state.counters[std::string("x_") + other] = mine / theirs;
    }
    if (rates()["async"] > 0) state.counters["x_async"] = mine / rates()["async"];
}

std::string per_second(double rate) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.0f runs/s", rate);
    return buffer;
}

void print_summary(const std::vector<int>& worker_counts) {
    std::printf("\n| benchmark | taskkit | comparator | ratio | goal | met? |\n|---|---|---|---|---|---|\n");
    for (int w : worker_counts) {
        const std::string ws = std::to_string(w);
        const double mine = rates()["taskkit/" + ws];
        struct row {
            const char* label;
            std::string key;
            const char* goal;
            double threshold;  // <= 0: no goal
            bool strict;
        };
        const row rows[] = {{"Asio thread_pool+future", "asio/" + ws, ">= 0.5x", 0.5, false},
                            {"std::async", "async", "> 1x", 1.0, true},
                            {"TBB task_group", "tbb/" + ws, "-", 0, false}};
        for (const auto& r : rows) {
            const double theirs = rates()[r.key];
            if (!(theirs > 0) || !(mine > 0)) continue;
            const double ratio = mine / theirs;
            const char* met = r.threshold <= 0                                          ? "-"
                              : (r.strict ? ratio > r.threshold : ratio >= r.threshold) ? "yes"
                                                                                        : "NO";
            std::printf("| throughput W=%d vs %s | %s | %s | %.2f | %s | %s |\n", w, r.label, per_second(mine).c_str(),
                        per_second(theirs).c_str(), ratio, r.goal, met);
        }
    }
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<int> worker_counts = {1, 2};
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    if (cores > 2) worker_counts.push_back(cores);
    benchmark::RegisterBenchmark("std_async", std_async)->UseManualTime()->Unit(benchmark::kMillisecond);
    for (int w : worker_counts) {
        benchmark::RegisterBenchmark("asio_thread_pool", asio_thread_pool)
            ->Arg(w)
            ->MinTime(2.0)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark("tbb_task_group", tbb_task_group)
            ->Arg(w)
            ->MinTime(2.0)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark("taskkit_runtime", taskkit_runtime)
            ->Arg(w)
            ->MinTime(2.0)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    }
    return run_benchmarks(argc, argv, [&] { print_summary(worker_counts); });
}
