// Memory per queued run: a million delayed runs ({.delay = 1h} on a virtual clock, so none ever
// starts) held by a runtime; resident-set growth divided by the count, the int payload excluded.
// Compared with a million handlers (an int and a std::promise<int> each) posted to an
// io_context that is not running: what Asio holds per queued job with a future-style result.
//   bench_memory --benchmark_counters_tabular=true
// Goal: <= 512 bytes per queued run beyond the payload. A summary table is printed at the end.
#include <taskkit/taskkit.hpp>

#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <map>
#include <string>

#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

constexpr std::size_t queued = 1'000'000;

/// Resident bytes of this process (/proc/self/statm), 0 where unavailable.
double resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    long pages = 0;
    long resident = 0;
    if (!(statm >> pages >> resident)) return 0;
    return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

/// Bytes the allocator has handed out and not taken back (glibc), 0 elsewhere.
double heap_bytes() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    return static_cast<double>(mallinfo2().uordblks);
#else
    return 0;
#endif
}

/// Gives freed memory back to the system, so the next measurement starts from a clean slate.
void trim() {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

struct figures {
    double rss_per_item = 0;
    double heap_per_item = 0;
};
std::map<std::string, figures>& results() {
    static std::map<std::string, figures> all;
    return all;
}

template <class Fill>
figures measure(benchmark::State& state, Fill&& fill) {
    figures f;
    for (auto _ : state) {
        trim();
        const double rss0 = resident_bytes();
        const double heap0 = heap_bytes();
        fill();
        f.rss_per_item = (resident_bytes() - rss0) / static_cast<double>(queued) - static_cast<double>(sizeof(int));
        f.heap_per_item = (heap_bytes() - heap0) / static_cast<double>(queued) - static_cast<double>(sizeof(int));
    }
    state.counters["rss_bytes_per_item"] = f.rss_per_item;
    state.counters["heap_bytes_per_item"] = f.heap_per_item;
    return f;
}

void asio_queued_handlers(benchmark::State& state) {
    std::vector<std::future<int>> futures;  // the caller's side, like taskkit's handles: not counted
    futures.reserve(queued);
    boost::asio::io_context io;
    results()["asio"] = measure(state, [&] {
        for (std::size_t i = 0; i < queued; ++i) {
            std::promise<int> promise;
            futures.push_back(promise.get_future());
            boost::asio::post(io, [p = std::move(promise), n = static_cast<int>(i)]() mutable { p.set_value(n); });
        }
    });
}

void taskkit_delayed_runs(benchmark::State& state) {
    taskkit::registry reg;
    const taskkit::task<int, int> noop({.id = "noop", .run = [](const int& n) { return n; }}, reg);
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::runtime rt({.workers = 1, .clock = clock, .registry = &reg, .log_sink = taskkit::null_log_sink()});
    for (int i = 0; i < 1000; ++i) (void)rt.trigger(noop, i, {.delay = std::chrono::hours(1)});  // warm up
    const taskkit::trigger_options delayed{.delay = std::chrono::hours(1)};
    auto f = measure(state, [&] {
        for (std::size_t i = 0; i < queued; ++i) (void)rt.trigger(noop, static_cast<int>(i), delayed);
    });
    results()["taskkit"] = f;
    state.counters["sizeof_run_state"] = static_cast<double>(sizeof(taskkit::detail::typed_run_state<int, int>));
    if (results()["asio"].rss_per_item > 0) state.counters["x_asio"] = f.rss_per_item / results()["asio"].rss_per_item;
}

void print_summary() {
    const auto& mine = results()["taskkit"];
    const auto& theirs = results()["asio"];
    std::printf("\n| benchmark | taskkit | comparator | ratio | goal | met? |\n|---|---|---|---|---|---|\n");
    std::printf(
        "| memory per queued run, resident (1M delayed) vs Asio queued handler+promise | %.0f B | %.0f B | %.2f | <= "
        "512 B | %s |\n",
        mine.rss_per_item, theirs.rss_per_item, theirs.rss_per_item > 0 ? mine.rss_per_item / theirs.rss_per_item : 0.0,
        mine.rss_per_item <= 512 ? "yes" : "NO");
    std::printf("| memory per queued run, heap in use (1M delayed) vs Asio | %.0f B | %.0f B | %.2f | - | - |\n",
                mine.heap_per_item, theirs.heap_per_item,
                theirs.heap_per_item > 0 ? mine.heap_per_item / theirs.heap_per_item : 0.0);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::RegisterBenchmark("asio_queued_handlers", asio_queued_handlers)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("taskkit_delayed_runs", taskkit_delayed_runs)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    return run_benchmarks(argc, argv, [&] { print_summary(); });
}
