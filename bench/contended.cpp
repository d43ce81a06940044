// Contended queues: 10,000 no-op runs triggered at once on a queue with concurrency_limit 1, and
// on a keyed queue with 1,000 concurrency keys (limit 1 per key), all awaited, on W workers (the
// core count, at least 2). The comparator serializes the same jobs with Asio: one strand for the
// single-slot queue, 1,000 strands for the keys, on a thread_pool of W threads, a
// std::promise/std::future per job.
//   bench_contended --benchmark_counters_tabular=true
// No goal is set; the ratio to Asio is reported. A summary table is printed at the end.
#include <taskkit/taskkit.hpp>

#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
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

using steady = std::chrono::steady_clock;

constexpr int runs_per_iteration = 10'000;

unsigned worker_count() { return std::max(2u, std::thread::hardware_concurrency()); }

std::map<std::string, double>& rates() {
    static std::map<std::string, double> all;
    return all;
}

template <class Body>
double measure(benchmark::State& state, Body&& body) {
    double seconds = 0;
    std::int64_t runs = 0;
    for (auto _ : state) {
        const auto start = steady::now();
        body();
        const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
        state.SetIterationTime(elapsed);
        seconds += elapsed;
        runs += runs_per_iteration;
    }
    const double rate = static_cast<double>(runs) / seconds;
    state.counters["runs_per_s"] = rate;
    state.SetItemsProcessed(runs);
    return rate;
}

void asio_strands(benchmark::State& state) {
    const auto strand_count = static_cast<std::size_t>(state.range(0));
    boost::asio::thread_pool pool(worker_count());
    std::vector<boost::asio::strand<boost::asio::thread_pool::executor_type>> strands;
    for (std::size_t s = 0; s < strand_count; ++s) strands.push_back(boost::asio::make_strand(pool.get_executor()));
    std::vector<std::future<int>> futures;
    futures.reserve(runs_per_iteration);
    rates()["asio/" + std::to_string(strand_count)] = measure(state, [&] {
        futures.clear();
        for (int i = 0; i < runs_per_iteration; ++i) {
            std::promise<int> promise;
            futures.push_back(promise.get_future());
            boost::asio::post(strands[static_cast<std::size_t>(i) % strand_count],
                              [p = std::move(promise), i]() mutable { p.set_value(i); });
        }
        for (auto& f : futures) benchmark::DoNotOptimize(f.get());
    });
    pool.join();
}

void taskkit_limited_queue(benchmark::State& state) {
    const auto key_count = static_cast<std::size_t>(state.range(0));
    taskkit::registry reg;
    const taskkit::task<int, int> noop(
        {.id = "noop", .queue = {.concurrency_limit = 1}, .run = [](const int& n) { return n; }}, reg);
    taskkit::runtime rt({.workers = worker_count(), .registry = &reg, .log_sink = taskkit::null_log_sink()});
    std::vector<std::string> keys;
    if (key_count > 1)
        for (std::size_t k = 0; k < key_count; ++k) keys.push_back("customer-" + std::to_string(k));
    std::vector<taskkit::run_handle<int>> handles;
    handles.reserve(runs_per_iteration);
    const double mine = measure(state, [&] {
        handles.clear();
        for (int i = 0; i < runs_per_iteration; ++i) {
            taskkit::trigger_options options;
            if (!keys.empty()) options.concurrency_key = keys[static_cast<std::size_t>(i) % keys.size()];
            handles.push_back(rt.trigger(noop, i, std::move(options)));
        }
        for (auto& h : handles) benchmark::DoNotOptimize(h.get());
    });
    rates()["taskkit/" + std::to_string(key_count)] = mine;
    const double theirs = rates()["asio/" + std::to_string(key_count)];
    if (theirs > 0) state.counters["x_asio"] = mine / theirs;
}

void print_summary() {
    std::printf("\n| benchmark | taskkit | comparator | ratio | goal | met? |\n|---|---|---|---|---|---|\n");
    for (std::size_t keys : {std::size_t{1}, std::size_t{1000}}) {
        const double mine = rates()["taskkit/" + std::to_string(keys)];
        const double theirs = rates()["asio/" + std::to_string(keys)];
        if (!(mine > 0) || !(theirs > 0)) continue;
        std::printf("| contended: 10,000 runs, %s, W=%u vs Asio %s | %.0f runs/s | %.0f runs/s | %.2f | - | - |\n",
                    keys == 1 ? "concurrency_limit 1" : "1,000 keys (limit 1 each)", worker_count(),
                    keys == 1 ? "strand" : "1,000 strands", mine, theirs, mine / theirs);
    }
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    for (long keys : {1L, 1'000L}) {
        benchmark::RegisterBenchmark("asio_strands", asio_strands)
            ->Arg(keys)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark("taskkit_limited_queue", taskkit_limited_queue)
            ->Arg(keys)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    }
    return run_benchmarks(argc, argv, [&] { print_summary(); });
}
