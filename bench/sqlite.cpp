// Durable runs on SQLite (taskkit::sqlite_backend), beside the memory backend in the same run:
//   - triggers per second into a file, one at a time (each trigger commits before it returns) and
//     in batches of 100 (task.batch_trigger), with synchronous = full and = normal, on a runtime
//     that executes nothing (`.workers = 0`), so that only the triggers are measured. (A batch is
//     one call to the backend, backend::create_batch, which the SQLite backend commits as one
//     transaction.);
//   - burn-down: 100,000 no-op runs already in the file (written once, timed as burn_down/fill,
//     then copied), worked to completion by 1 process and by 2 processes sharing the file (this
//     program re-executed with --burn-down-worker), 2 workers each; runs/s from the start of the
//     processes until every run is completed. The memory backend's burn-down: 100,000 runs queued
//     behind two gate runs that hold the workers, timed from their release;
//   - trigger-to-start latency p50/p99 on an idle runtime of 2 workers (1,000 probes).
//   bench_sqlite --benchmark_counters_tabular=true
// The database files live in a temporary folder (under $TMPDIR, else /tmp), removed at the end:
// put it on the disk you mean to measure. Each benchmark is bounded in time (a trigger series
// stops after 3 s, a burn-down after 50 s and says so in the table). POSIX only (posix_spawn).
// A summary table ends the output.
#include <taskkit/sqlite.hpp>
#include <taskkit/taskkit.hpp>

#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr int batch_size = 100;
constexpr int burn_down_runs = 100'000;
constexpr unsigned workers_per_process = 2;
constexpr auto trigger_series = std::chrono::seconds(3);  // each trigger measurement stops after this
constexpr int max_triggers = 100'000;                     // ... or after this many runs
constexpr auto burn_down_limit = std::chrono::seconds(50);
constexpr std::size_t latency_samples = 1'000;
constexpr auto probe_gap = std::chrono::microseconds(400);  // the workers go idle between probes

const char* name_of(taskkit::sqlite_synchronous sync) {
    return sync == taskkit::sqlite_synchronous::full ? "full" : "normal";
}

taskkit::sqlite_synchronous sync_of(const std::string& name) {
    return name == "full" ? taskkit::sqlite_synchronous::full : taskkit::sqlite_synchronous::normal;
}

/// The folder of this run's database files, created on first use and removed at exit.
class temp_folder {
public:
    temp_folder() {
        std::string pattern = (fs::temp_directory_path() / "taskkit-bench-sqlite-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) {
            std::perror("mkdtemp");
            std::exit(1);
        }
        path_ = pattern;
    }
    temp_folder(const temp_folder&) = delete;
    temp_folder& operator=(const temp_folder&) = delete;
    ~temp_folder() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

temp_folder& folder() {
    static temp_folder f;
    return f;
}

/// Removes a database file and the -wal and -shm files beside it.
void remove_database(const std::string& path) {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ignored);
}

std::shared_ptr<taskkit::backend> open_sqlite(const std::string& path, taskkit::sqlite_synchronous sync) {
    return taskkit::sqlite_backend({.path = path, .synchronous = sync});
}

/// Figures measured so far, by key ("trigger/one/full", "burn/2/normal", "latency/memory"...).
std::map<std::string, double>& figures() {
    static std::map<std::string, double> all;
    return all;
}

/// A figure measured in this run, or 0.
double figure(const std::string& key) {
    const auto it = figures().find(key);
    return it == figures().end() ? 0 : it->second;
}

// ---------------------------------------------------------------- triggers per second

/// Triggers no-op runs into a runtime that executes nothing, one at a time or in batches, for
/// trigger_series or max_triggers runs; returns runs per second.
double trigger_rate(const std::shared_ptr<taskkit::backend>& backend, bool batched) {
    taskkit::registry reg;
    const taskkit::task<int, int> noop({.id = "noop", .run = [](const int& n) { return n; }}, reg);
    taskkit::runtime rt({.workers = 0, .registry = &reg, .backend = backend, .log_sink = taskkit::null_log_sink()});
    std::vector<int> payloads(batch_size);
    for (int i = 0; i < batch_size; ++i) payloads[static_cast<std::size_t>(i)] = i;
    int triggered = 0;
    const auto start = steady::now();
    const auto until = start + trigger_series;
    while (triggered < max_triggers && steady::now() < until) {
        if (batched) {
            auto batch = noop.batch_trigger(payloads);  // goes to rt, its registry's default runtime
            benchmark::DoNotOptimize(batch.id);
            triggered += batch_size;
        } else {
            for (int i = 0; i < batch_size; ++i) benchmark::DoNotOptimize(rt.trigger(noop, i).id());
            triggered += batch_size;
        }
    }
    return triggered / std::chrono::duration<double>(steady::now() - start).count();
}

/// backend: "memory", "full" or "normal".
void triggers(benchmark::State& state, const std::string& backend, bool batched) {
    const std::string key = std::string("trigger/") + (batched ? "batch/" : "one/") + backend;
    double rate = 0;
    for (auto _ : state) {
        if (backend == "memory") {
            rate = trigger_rate(taskkit::memory_backend(), batched);
        } else {
            const auto path = folder().file("triggers.db");
            remove_database(path);
            rate = trigger_rate(open_sqlite(path, sync_of(backend)), batched);
            remove_database(path);
        }
    }
    figures()[key] = rate;
    state.counters["runs_per_s"] = rate;
}

// ---------------------------------------------------------------- burn-down

/// Counted by the no-op runs a burn-down worker process executes.
std::atomic<long> executed{0};

/// The task every process on a burn-down file defines.
struct burn_down_tasks {
    taskkit::registry reg;
    taskkit::task<int, int> noop{{.id = "noop",
                                  .run =
                                      [](const int& n) {
                                          executed.fetch_add(1, std::memory_order_relaxed);
                                          return n;
                                      }},
                                 reg};
};

/// What one worker process reports on its standard output: when it started and when it saw the
/// file hold no queued or executing run (steady_clock, which is system-wide on Linux), and how
/// many runs it executed.
struct worker_report {
    long long started_ns = 0;
    long long finished_ns = 0;
    long executed = 0;
};

long long ns_of(steady::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// The body of a process started with --burn-down-worker <path> <full|normal> <deadline_ns>.
int burn_down_worker(const std::string& path, const std::string& sync_name, long long deadline_ns) {
    const auto sync = sync_of(sync_name);
    const auto started = steady::now();
    burn_down_tasks tasks;
    steady::time_point finished;
    {
        taskkit::runtime rt({.workers = workers_per_process,
                             .registry = &tasks.reg,
                             .backend = open_sqlite(path, sync),
                             .log_sink = taskkit::null_log_sink()});
        const taskkit::run_filter left{.statuses = {taskkit::run_status::queued, taskkit::run_status::executing},
                                       .limit = 1};
        for (;;) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            finished = steady::now();
            if (rt.list(left).runs.empty() || ns_of(finished) >= deadline_ns) break;
        }
    }
    std::printf("%lld %lld %ld\n", ns_of(started), ns_of(finished), executed.load());
    std::fflush(stdout);
    return 0;
}

/// This program's own path, for re-executing it.
std::string self_path() {
    std::vector<char> buffer(4096);
    const auto n = ::readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
    if (n > 0) return std::string(buffer.data(), static_cast<std::size_t>(n));
    return "bench_sqlite";
}

struct worker_process {
    pid_t pid = -1;
    int out = -1;  ///< read end of its standard output
};

worker_process spawn_worker(const std::string& path, const char* sync, long long deadline_ns) {
    int fds[2];
    if (::pipe(fds) != 0) {
        std::perror("pipe");
        std::exit(1);
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    const std::string exe = self_path();
    const std::string deadline = std::to_string(deadline_ns);
    std::vector<char*> argv = {const_cast<char*>(exe.c_str()),      const_cast<char*>("--burn-down-worker"),
                               const_cast<char*>(path.c_str()),     const_cast<char*>(sync),
                               const_cast<char*>(deadline.c_str()), nullptr};
    worker_process w;
    if (posix_spawn(&w.pid, exe.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
        std::perror("posix_spawn");
        std::exit(1);
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    w.out = fds[0];
    return w;
}

std::optional<worker_report> collect(worker_process& w) {
    std::string text;
    char buffer[256];
    for (;;) {
        const auto n = ::read(w.out, buffer, sizeof buffer);
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(w.out);
    int status = 0;
    ::waitpid(w.pid, &status, 0);
    worker_report r;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        std::sscanf(text.c_str(), "%lld %lld %ld", &r.started_ns, &r.finished_ns, &r.executed) != 3)
        return std::nullopt;
    return r;
}

/// A file holding burn_down_runs queued no-op runs, written once (with synchronous = normal, in
/// batches of 1,000) and copied for each burn-down; its own benchmark times the writing, so that
/// the burn-downs stay within a minute each.
const std::string& burn_down_template() {
    static const std::string path = [] {
        const auto file = folder().file("burn-down-template.db");
        burn_down_tasks tasks;
        taskkit::runtime rt({.workers = 0,
                             .registry = &tasks.reg,
                             .backend = open_sqlite(file, taskkit::sqlite_synchronous::normal),
                             .log_sink = taskkit::null_log_sink()});
        std::vector<int> payloads(1000);
        const auto start = steady::now();
        for (int i = 0; i < burn_down_runs; i += static_cast<int>(payloads.size())) {
            for (std::size_t j = 0; j < payloads.size(); ++j) payloads[j] = i + static_cast<int>(j);
            (void)rt.batch_trigger(tasks.noop, payloads);
        }
        figures()["fill"] = burn_down_runs / std::chrono::duration<double>(steady::now() - start).count();
        return file;
    }();
    return path;
}

void burn_down_fill(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(burn_down_template());
    state.counters["runs_per_s"] = figure("fill");
}

struct burn_down_result {
    double rate = 0;
    long completed = 0;
    double seconds = 0;
    double startup_ms = 0;  ///< from the spawn to the last process's main()
    bool failed = false;    ///< a worker process ended with an error (its runs are not counted)
};

burn_down_result burn_down_sqlite(int processes, taskkit::sqlite_synchronous sync) {
    const auto& source = burn_down_template();  // closed: its WAL was checkpointed into the file
    const auto path = folder().file("burn-down.db");
    remove_database(path);
    fs::copy_file(source, path);
    if (fs::exists(source + "-wal")) fs::copy_file(source + "-wal", path + "-wal");
    const auto start = steady::now();
    const long long deadline = ns_of(start + burn_down_limit);
    std::vector<worker_process> workers;
    for (int p = 0; p < processes; ++p) workers.push_back(spawn_worker(path, name_of(sync), deadline));
    burn_down_result out;
    long long last = ns_of(start);
    long long last_start = ns_of(start);
    for (auto& w : workers) {
        const auto report = collect(w);
        if (!report) {
            // Its error is on stderr; the other processes go on (they take over its runs once
            // their leases expire, or stop at the deadline).
            std::fprintf(stderr, "bench_sqlite: a burn-down worker process failed\n");
            out.failed = true;
            continue;
        }
        out.completed += report->executed;
        last = std::max(last, report->finished_ns);
        last_start = std::max(last_start, report->started_ns);
    }
    remove_database(path);
    out.seconds = static_cast<double>(last - ns_of(start)) / 1e9;
    out.startup_ms = static_cast<double>(last_start - ns_of(start)) / 1e6;
    out.rate = static_cast<double>(out.completed) / out.seconds;
    return out;
}

/// The memory backend's burn-down: two gate runs hold both workers while the runs are triggered,
/// then let go; timed from the release until the last run completed.
burn_down_result burn_down_memory() {
    taskkit::registry reg;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<int> gates_started{0};
    const taskkit::task<int, int> gate({.id = "gate",
                                        .run =
                                            [&](const int& n) {
                                                gates_started.fetch_add(1);
                                                released.wait();
                                                return n;
                                            }},
                                       reg);
    const taskkit::task<int, int> noop({.id = "noop", .run = [](const int& n) { return n; }}, reg);
    taskkit::runtime rt({.workers = workers_per_process, .registry = &reg, .log_sink = taskkit::null_log_sink()});
    std::vector<taskkit::run_handle<int>> gates;
    for (unsigned w = 0; w < workers_per_process; ++w) gates.push_back(rt.trigger(gate, 0));
    while (gates_started.load() < static_cast<int>(workers_per_process)) std::this_thread::yield();
    std::vector<taskkit::run_handle<int>> handles;
    handles.reserve(burn_down_runs);
    for (int i = 0; i < burn_down_runs; ++i) handles.push_back(rt.trigger(noop, i));
    const auto start = steady::now();
    release.set_value();
    for (auto& g : gates) g.wait();
    for (auto& h : handles) h.wait();
    burn_down_result out;
    out.seconds = std::chrono::duration<double>(steady::now() - start).count();
    out.completed = burn_down_runs;
    out.rate = burn_down_runs / out.seconds;
    return out;
}

/// backend: "memory", "full" or "normal".
void burn_down(benchmark::State& state, const std::string& backend, int processes) {
    burn_down_result r;
    for (auto _ : state) {
        if (backend == "memory")
            r = burn_down_memory();
        else
            r = burn_down_sqlite(processes, sync_of(backend));
    }
    const std::string key = "burn/" + std::to_string(processes) + "/" + backend;
    figures()[key] = r.rate;
    figures()[key + "/completed"] = static_cast<double>(r.completed);
    if (r.failed) figures()[key + "/failed"] = 1;
    state.counters["runs_per_s"] = r.rate;
    state.counters["completed"] = static_cast<double>(r.completed);
    state.counters["seconds"] = r.seconds;
    if (backend != "memory") state.counters["startup_ms"] = r.startup_ms;
}

// ---------------------------------------------------------------- trigger-to-start latency

std::vector<steady::time_point>& starts() {
    static std::vector<steady::time_point> all(latency_samples);
    return all;
}

void latency(benchmark::State& state, const std::string& backend) {
    const auto path = folder().file("latency.db");
    std::vector<double> us;
    for (auto _ : state) {
        remove_database(path);
        taskkit::registry reg;
        const taskkit::task<int, int> probe({.id = "probe",
                                             .run =
                                                 [](const int& i) {
                                                     starts()[static_cast<std::size_t>(i)] = steady::now();
                                                     return i;
                                                 }},
                                            reg);
        std::shared_ptr<taskkit::backend> store;
        if (backend == "memory")
            store = taskkit::memory_backend();
        else
            store = open_sqlite(path, sync_of(backend));
        taskkit::runtime rt(
            {.workers = workers_per_process, .registry = &reg, .backend = store, .log_sink = taskkit::null_log_sink()});
        us.clear();
        for (std::size_t i = 0; i < latency_samples; ++i) {
            std::this_thread::sleep_for(probe_gap);
            const auto before = steady::now();
            rt.trigger(probe, static_cast<int>(i)).wait();
            us.push_back(std::chrono::duration<double, std::micro>(starts()[i] - before).count());
        }
    }
    remove_database(path);
    std::sort(us.begin(), us.end());
    for (int p : {50, 99}) {
        const double v = us[us.size() * static_cast<std::size_t>(p) / 100];
        figures()["latency/p" + std::to_string(p) + "/" + backend] = v;
        state.counters["p" + std::to_string(p) + "_us"] = v;
    }
}

// ---------------------------------------------------------------- the summary

std::string ratio_text(double mine, double theirs) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g", mine / theirs);
    return buffer;
}

void row(const std::string& label, double mine, double theirs, const char* unit) {
    if (!(mine > 0)) return;
    char a[48];
    char b[48] = "-";
    std::snprintf(a, sizeof a, unit[0] == 'u' ? "%.1f %s" : "%.0f %s", mine, unit);
    if (theirs > 0) std::snprintf(b, sizeof b, unit[0] == 'u' ? "%.1f %s" : "%.0f %s", theirs, unit);
    std::printf("| %s | %s | %s | %s | - | - |\n", label.c_str(), a, b,
                theirs > 0 ? ratio_text(mine, theirs).c_str() : "-");
}

void print_summary() {
    std::printf("\n| benchmark | taskkit | comparator | ratio | goal | met? |\n|---|---|---|---|---|---|\n");
    for (const char* sync : {"full", "normal"}) {
        const std::string s = sync;
        row("sqlite: trigger one at a time (a commit each), synchronous=" + s + ", vs memory backend",
            figure("trigger/one/" + s), figure("trigger/one/memory"), "runs/s");
        row("sqlite: batch_trigger of " + std::to_string(batch_size) + ", synchronous=" + s + ", vs memory backend",
            figure("trigger/batch/" + s), figure("trigger/batch/memory"), "runs/s");
    }
    row("sqlite: batch_trigger of 1,000 into a file growing to 100,000 queued runs (the burn-down's file), "
        "synchronous=normal, vs memory backend batch_trigger of " +
            std::to_string(batch_size),
        figure("fill"), figure("trigger/batch/memory"), "runs/s");
    for (const char* sync : {"full", "normal"}) {
        const std::string s = sync;
        for (int processes : {1, 2}) {
            const std::string key = "burn/" + std::to_string(processes) + "/" + s;
            const double completed = figure(key + "/completed");
            std::string label = "sqlite: burn-down of 100,000 no-op runs, " + std::to_string(processes) + " process" +
                                (processes > 1 ? "es" : "") + " x " + std::to_string(workers_per_process) +
                                " workers, synchronous=" + s;
            if (figure(key + "/failed") > 0) {
                std::printf(
                    "| %s | failed: a worker process ended with an error (in the output above) | - | - | - | - |\n",
                    label.c_str());
                continue;
            }
            if (completed > 0 && completed < burn_down_runs)
                label += " (stopped at " + std::to_string(burn_down_limit.count()) +
                         " s: " + std::to_string(static_cast<long>(completed)) + " runs completed)";
            if (processes == 1)
                row(label + ", vs memory backend", figure(key), figure("burn/1/memory"), "runs/s");
            else
                row(label + ", vs 1 process", figure(key), figure("burn/1/" + s), "runs/s");
        }
    }
    for (const char* sync : {"full", "normal"}) {
        const std::string s = sync;
        for (int p : {50, 99})
            row("sqlite: latency p" + std::to_string(p) + " trigger to start, idle, W=2, synchronous=" + s +
                    ", vs memory backend",
                figure("latency/p" + std::to_string(p) + "/" + s), figure("latency/p" + std::to_string(p) + "/memory"),
                "us");
    }
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::strcmp(argv[1], "--burn-down-worker") == 0)
        return burn_down_worker(argv[2], argv[3], std::atoll(argv[4]));

    const std::vector<std::string> backends = {"memory", "full", "normal"};
    for (bool batched : {false, true})
        for (const auto& b : backends)
            benchmark::RegisterBenchmark(("triggers/" + std::string(batched ? "batch" : "one") + "/" + b).c_str(),
                                         [b, batched](benchmark::State& s) { triggers(s, b, batched); })
                ->Iterations(1)
                ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("burn_down/fill", burn_down_fill)->Iterations(1)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("burn_down/memory/1", [](benchmark::State& s) { burn_down(s, "memory", 1); })
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    for (const char* b : {"full", "normal"})
        for (int processes : {1, 2})
            benchmark::RegisterBenchmark(
                ("burn_down/" + std::string(b) + "/" + std::to_string(processes)).c_str(),
                [b = std::string(b), processes](benchmark::State& s) { burn_down(s, b, processes); })
                ->Iterations(1)
                ->Unit(benchmark::kMillisecond);
    for (const auto& b : backends)
        benchmark::RegisterBenchmark(("latency/idle/" + b).c_str(), [b](benchmark::State& s) { latency(s, b); })
            ->Iterations(1)
            ->Unit(benchmark::kMillisecond);
    folder();  // created before the benchmarks, removed after the summary
    return run_benchmarks(argc, argv, [] { print_summary(); });
}
