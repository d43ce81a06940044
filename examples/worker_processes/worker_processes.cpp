// Two worker processes sharing one SQLite file: a process triggers runs into the file, two worker
// processes on the same file execute them together, and each run is executed exactly once — in one
// process or the other. Needs taskkit::sqlite (see docs/durable-runs.md).
//
//   worker_processes trigger <file> <count>   triggers <count> runs and exits without running them
//   worker_processes work <file> <name>       executes runs until the file has none left to do
//   worker_processes summary <file>           says how the runs ended, and who executed each
//   worker_processes                          all of it: one trigger, then two workers at once
//
// Each execution of the task appends a line to "<file>.executions" (the task's side effect, as a
// charge or an email would be), so that the summary counts executions, not just records.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <taskkit/sqlite.hpp>
#include <taskkit/taskkit.hpp>

extern char** environ;

using namespace std::chrono_literals;

namespace {

struct image {
    std::string name;
    int width = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(image, name, width)

/// Where this process writes its executions (set by `work`).
std::FILE* executions = nullptr;
std::string worker_name;
std::mutex executions_mutex;

/// The task every process defines the same way: the processes on a file share its runs by task id.
taskkit::task<image, std::string> make_resize(taskkit::registry& reg) {
    return taskkit::task<image, std::string>(
        {.id = "resize-image",
         .run =
             [](const image& img, taskkit::run_context& ctx) {
                 std::this_thread::sleep_for(20ms);  // the work
                 if (executions) {
                     std::lock_guard lock(executions_mutex);
                     std::fprintf(executions, "%s %s\n", std::string(ctx.run().id).c_str(), worker_name.c_str());
                     std::fflush(executions);  // one write per line, appended (O_APPEND) by both processes
                 }
                 return fmt::format("{} resized to {} px by worker {}", img.name, img.width, worker_name);
             }},
        reg);
}

taskkit::runtime_options on_file(taskkit::registry& reg, const std::string& path, unsigned workers) {
    return {.workers = workers,
            .registry = &reg,
            .backend = taskkit::sqlite_backend({.path = path, .synchronous = taskkit::sqlite_synchronous::normal}),
            .log_sink = taskkit::null_log_sink()};
}

int trigger(const std::string& path, int count) {
    taskkit::registry reg;
    const auto resize = make_resize(reg);
    taskkit::runtime rt(on_file(reg, path, 0));  // triggers only: runs nothing itself
    for (int i = 0; i < count; ++i) (void)rt.trigger(resize, image{fmt::format("photo-{:02}.jpg", i), 320 + 10 * i});
    fmt::print("triggered {} runs into {}\n", count, path);
    return 0;
}

int work(const std::string& path, const std::string& name) {
    worker_name = name;
    executions = std::fopen((path + ".executions").c_str(), "a");
    if (!executions) {
        std::perror("opening the executions file");
        return 1;
    }
    taskkit::registry reg;
    const auto resize = make_resize(reg);
    int done = 0;
    {
        taskkit::runtime rt(on_file(reg, path, 2));
        // A worker that stops once the file has nothing left to run (a real one runs until it is
        // told to stop). The runs executing in the other process count as left to do.
        const taskkit::run_filter unfinished{
            .statuses = {taskkit::run_status::queued, taskkit::run_status::delayed, taskkit::run_status::executing,
                         taskkit::run_status::waiting, taskkit::run_status::retrying},
            .limit = 1};
        const auto give_up = std::chrono::steady_clock::now() + 60s;
        while (!rt.list(unfinished).runs.empty()) {
            if (std::chrono::steady_clock::now() > give_up) {
                fmt::print(stderr, "worker {}: runs still unfinished after 60 s\n", name);
                return 1;
            }
            std::this_thread::sleep_for(20ms);
        }
    }
    std::fclose(executions);
    std::ifstream in(path + ".executions");
    for (std::string id, who; in >> id >> who;) done += who == name;
    fmt::print("worker {} executed {} runs\n", name, done);
    return 0;
}

int summary(const std::string& path) {
    taskkit::registry reg;
    const auto resize = make_resize(reg);
    taskkit::runtime rt(on_file(reg, path, 0));
    std::map<std::string, int> executed;  // run id → executions
    std::map<std::string, int> by_worker;
    std::ifstream in(path + ".executions");
    for (std::string id, who; in >> id >> who;) {
        ++executed[id];
        ++by_worker[who];
    }
    int runs = 0;
    int completed = 0;
    int once = 0;
    taskkit::run_filter all{.limit = 100};
    for (;;) {
        const auto page = rt.list(all);
        for (const auto& run : page.runs) {
            ++runs;
            completed += run.status == taskkit::run_status::completed;
            const auto it = executed.find(run.id);
            once += it != executed.end() && it->second == 1 && run.attempts.size() == 1;
        }
        if (page.next_cursor.empty()) break;
        all.cursor = page.next_cursor;
    }
    if (runs > 0 && completed == runs && once == runs && executed.size() == static_cast<std::size_t>(runs)) {
        fmt::print("{} runs completed, each executed exactly once (worker a: {}, worker b: {})\n", runs, by_worker["a"],
                   by_worker["b"]);
        return 0;
    }
    fmt::print("{} runs: {} completed, {} executed exactly once, {} executed at all\n", runs, completed, once,
               executed.size());
    return 1;
}

/// Starts this program again with `args`; its pid.
pid_t spawn(const std::string& self, const std::vector<std::string>& args) {
    std::vector<char*> argv{const_cast<char*>(self.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), environ) != 0) return -1;
    return pid;
}

bool succeeded(pid_t pid) {
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/// The whole example: a trigger process, then two worker processes at once on the same file.
int demo(const std::string& self) {
    const auto folder =
        std::filesystem::temp_directory_path() / fmt::format("taskkit-worker-processes-{:08x}", std::random_device{}());
    std::filesystem::create_directories(folder);
    const auto path = (folder / "tasks.db").string();
    int rc = 1;
    if (succeeded(spawn(self, {"trigger", path, "24"}))) {
        const pid_t a = spawn(self, {"work", path, "a"});
        const pid_t b = spawn(self, {"work", path, "b"});
        const bool a_ok = succeeded(a);  // reap both, whatever the first says
        const bool b_ok = succeeded(b);
        if (a_ok && b_ok) rc = summary(path);
    }
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
    return rc;
}

/// Runs the role the arguments name.
int run(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) return demo(argv[0]);
    if (args[0] == "trigger" && args.size() == 3) {
        int count = 0;
        const auto [end, error] = std::from_chars(args[2].data(), args[2].data() + args[2].size(), count);
        if (error != std::errc() || end != args[2].data() + args[2].size() || count < 1) {
            fmt::print(stderr, "{}: the count of runs must be a whole number above 0, not '{}'\n", argv[0], args[2]);
            return 2;
        }
        return trigger(args[1], count);
    }
    if (args[0] == "work" && args.size() == 3) return work(args[1], args[2]);
    if (args[0] == "summary" && args.size() == 2) return summary(args[1]);
    fmt::print(stderr,
               "usage: {0} trigger <file> <count> | {0} work <file> <name> | {0} summary <file> | {0} (the whole "
               "example)\n",
               argv[0]);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const taskkit::error& e) {  // a file that cannot be opened, a busy or full disk…
        fmt::print(stderr, "{}: {}\n", argv[0], e.what());
        return 1;
    }
}
