// Latency from trigger to the start of the run (the run records steady_clock::now() first thing),
// p50 and p99 (p10, p25, p75 and p90 in the counters), against boost::asio::thread_pool
// post-to-start, on the same number of workers: on an idle runtime, and under a steady background
// load of half the throughput each system measured in this process (the median of five calibrations).
//   bench_latency --benchmark_counters_tabular=true
// Goal: taskkit's p50 within 2x Asio's. A summary table is printed at the end.
#include <taskkit/taskkit.hpp>

#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

using steady = std::chrono::steady_clock;

constexpr std::size_t samples = 2'000;
constexpr int calibration_runs = 20'000;
// The load arrives in small batches every 100 us: as steady as a sleeping thread can make it. In
// batches of a millisecond (this benchmark's first design), each batch queued a few hundred runs at
// once and a probe that fell into one waited for the runs ahead of it: the latency measured the
// time to drain the batch, a throughput figure, not the time from trigger to start.
constexpr auto load_tick = std::chrono::microseconds(100);
constexpr auto probe_gap = std::chrono::microseconds(400);

unsigned worker_count() { return std::max(2u, std::thread::hardware_concurrency()); }

/// Start times written by the runs, indexed by the payload (read after the run is awaited).
std::vector<steady::time_point>& starts() {
    static std::vector<steady::time_point> all(samples);
    return all;
}

constexpr int reported_percentiles[] = {10, 25, 50, 75, 90, 99};

struct figures {
    std::map<int, double> us;  ///< trigger-to-start latency at each reported percentile, in microseconds
    double load_per_s = 0;

    /// The latency at `percentile`, or 0 when not measured.
    [[nodiscard]] double at(int percentile) const {
        const auto it = us.find(percentile);
        return it == us.end() ? 0 : it->second;
    }
};
std::map<std::string, figures>& results() {
    static std::map<std::string, figures> all;
    return all;
}

/// Calls `fire(i)`, which triggers the probe of sample i and returns something to wait() on;
/// records trigger-to-start latencies and returns their reported percentiles in microseconds.
template <class Fire>
figures sample_latency(Fire&& fire) {
    std::vector<double> us;
    us.reserve(samples);
    for (std::size_t i = 0; i < samples; ++i) {
        std::this_thread::sleep_for(probe_gap);  // let the workers go idle between probes
        const auto before = steady::now();
        fire(i).wait();
        us.push_back(std::chrono::duration<double, std::micro>(starts()[i] - before).count());
    }
    std::sort(us.begin(), us.end());
    figures f;
    for (int p : reported_percentiles) f.us[p] = us[us.size() * p / 100];
    return f;
}

/// A thread that calls `fire_one()` `per_second` times a second, in a batch every `load_tick`.
template <class FireOne>
class steady_load {
public:
    steady_load(double per_second, FireOne fire_one)
        : thread_([this, per_second, fire_one]() mutable {
              const double per_tick = per_second * std::chrono::duration<double>(load_tick).count();
              double owed = 0;
              auto next = steady::now();
              while (!stop_.load(std::memory_order_relaxed)) {
                  owed += per_tick;
                  for (; owed >= 1; owed -= 1) fire_one();
                  next += load_tick;
                  std::this_thread::sleep_until(next);
              }
          }) {}
    steady_load(const steady_load&) = delete;
    steady_load& operator=(const steady_load&) = delete;
    ~steady_load() {
        stop_.store(true);
        thread_.join();
    }

private:
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// ---------------------------------------------------------------- Asio

struct asio_system {
    boost::asio::thread_pool pool{worker_count()};
    ~asio_system() { pool.join(); }

    std::future<void> probe(std::size_t i) {
        std::promise<void> promise;
        auto future = promise.get_future();
        boost::asio::post(pool, [p = std::move(promise), i]() mutable {
            starts()[i] = steady::now();
            p.set_value();
        });
        return future;
    }
    /// A job of the kind throughput() measured (a promise per job, its future dropped, as the
    /// taskkit load drops its handles): the load is half of what the system does per second with
    /// these jobs, not with cheaper ones.
    void load_one() {
        std::promise<int> promise;
        (void)promise.get_future();
        boost::asio::post(pool, [p = std::move(promise)]() mutable { p.set_value(0); });
    }
    double throughput() {
        std::vector<std::future<int>> futures;
        futures.reserve(calibration_runs);
        const auto start = steady::now();
        for (int i = 0; i < calibration_runs; ++i) {
            std::promise<int> promise;
            futures.push_back(promise.get_future());
            boost::asio::post(pool, [p = std::move(promise), i]() mutable { p.set_value(i); });
        }
        for (auto& f : futures) benchmark::DoNotOptimize(f.get());
        return calibration_runs / std::chrono::duration<double>(steady::now() - start).count();
    }
};

// ---------------------------------------------------------------- taskkit

struct taskkit_system {
    taskkit::registry reg;
    taskkit::task<int, int> probe_task{{.id = "probe",
                                        .run =
                                            [](const int& i) {
                                                if (i >= 0) starts()[static_cast<std::size_t>(i)] = steady::now();
                                                return i;
                                            }},
                                       reg};
    taskkit::runtime rt{{.workers = worker_count(), .registry = &reg, .log_sink = taskkit::null_log_sink()}};

    taskkit::run_handle<int> probe(std::size_t i) { return rt.trigger(probe_task, static_cast<int>(i)); }
    void load_one() { (void)rt.trigger(probe_task, -1); }
    double throughput() {
        std::vector<taskkit::run_handle<int>> handles;
        handles.reserve(calibration_runs);
        const auto start = steady::now();
        for (int i = 0; i < calibration_runs; ++i) handles.push_back(rt.trigger(probe_task, -1));
        for (auto& h : handles) benchmark::DoNotOptimize(h.get());
        return calibration_runs / std::chrono::duration<double>(steady::now() - start).count();
    }
};

template <class System>
void latency(benchmark::State& state, const std::string& name, bool loaded) {
    System sys;
    figures f;
    for (auto _ : state) {
        if (loaded) {
            // The median of five calibrations: one disturbed measurement (a page fault storm, a
            // descheduled thread) must not set the load a whole row compares.
            std::vector<double> rates;
            for (int i = 0; i < 5; ++i) rates.push_back(sys.throughput());
            std::sort(rates.begin(), rates.end());
            const double rate = rates[rates.size() / 2] / 2;
            steady_load load(rate, [&sys] { sys.load_one(); });
            f = sample_latency([&](std::size_t i) { return sys.probe(i); });
            f.load_per_s = rate;
        } else {
            f = sample_latency([&](std::size_t i) { return sys.probe(i); });
        }
    }
    const std::string key = name + (loaded ? "/loaded" : "/idle");
    results()[key] = f;
    for (int p : reported_percentiles) state.counters["p" + std::to_string(p) + "_us"] = f.at(p);
    if (loaded) state.counters["load_per_s"] = f.load_per_s;
    if (name == "taskkit") {
        const auto& asio = results()[std::string("asio") + (loaded ? "/loaded" : "/idle")];
        if (asio.at(50) > 0) state.counters["x_asio_p50"] = f.at(50) / asio.at(50);
        if (asio.at(99) > 0) state.counters["x_asio_p99"] = f.at(99) / asio.at(99);
    }
}

void print_summary() {
    std::printf("\n| benchmark | taskkit | comparator | ratio | goal | met? |\n|---|---|---|---|---|---|\n");
    for (const char* mode : {"idle", "loaded"}) {
        const auto& mine = results()[std::string("taskkit/") + mode];
        const auto& theirs = results()[std::string("asio/") + mode];
        if (!(theirs.at(50) > 0) || !(mine.at(50) > 0)) continue;
        const std::string load = std::string(mode) == "loaded"
                                     ? " (load " + std::to_string(static_cast<long>(mine.load_per_s)) + " vs " +
                                           std::to_string(static_cast<long>(theirs.load_per_s)) + " runs/s)"
                                     : "";
        const double r50 = mine.at(50) / theirs.at(50);
        std::printf("| latency p50 %s, W=%u%s vs Asio post | %.1f us | %.1f us | %.2f | <= 2x | %s |\n", mode,
                    worker_count(), load.c_str(), mine.at(50), theirs.at(50), r50, r50 <= 2.0 ? "yes" : "NO");
        std::printf("| latency p99 %s, W=%u vs Asio post | %.1f us | %.1f us | %.2f | - | - |\n", mode, worker_count(),
                    mine.at(99), theirs.at(99), mine.at(99) / theirs.at(99));
    }
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    for (bool loaded : {false, true}) {
        const std::string mode = loaded ? "/loaded" : "/idle";
        benchmark::RegisterBenchmark(("asio_post" + mode).c_str(),
                                     [loaded](benchmark::State& s) { latency<asio_system>(s, "asio", loaded); })
            ->Iterations(1)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("taskkit_trigger" + mode).c_str(),
                                     [loaded](benchmark::State& s) { latency<taskkit_system>(s, "taskkit", loaded); })
            ->Iterations(1)
            ->Unit(benchmark::kMillisecond);
    }
    return run_benchmarks(argc, argv, [&] { print_summary(); });
}
