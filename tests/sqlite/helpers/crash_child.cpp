// A process for tests/sqlite/crash_test.cpp to kill: a runtime on the SQLite file given as its
// first argument, with the lease duration in milliseconds given as its second, and one worker.
// Its task "crashy" prints "started <run id> <attempt>" on stdout and then waits until its stop
// is requested; the test kills the process with SIGKILL meanwhile. When its stdin closes (the test
// went away), the process shuts down and exits.
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>

#include <taskkit/sqlite.hpp>
#include <taskkit/taskkit.hpp>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s <database file> <lease in ms>\n", argv[0]);
        return 2;
    }
    taskkit::registry reg;
    taskkit::task<int> crashy({.id = "crashy",
                               .run =
                                   [](const int&, taskkit::run_context& ctx) {
                                       std::printf("started %s %d\n", std::string(ctx.run().id).c_str(),
                                                   ctx.attempt().number);
                                       std::fflush(stdout);
                                       std::mutex m;
                                       std::condition_variable_any cv;
                                       std::unique_lock lock(m);
                                       cv.wait(lock, ctx.stop_token(), [] { return false; });
                                   }},
                              reg);
    taskkit::sqlite_options options{.path = argv[1],
                                    .synchronous = taskkit::sqlite_synchronous::normal,
                                    .lease_duration = std::chrono::milliseconds(std::atoi(argv[2])),
                                    .poll_interval = std::chrono::milliseconds(5)};
    taskkit::runtime rt({.workers = 1,
                         .registry = &reg,
                         .backend = taskkit::sqlite_backend(options),
                         .log_sink = taskkit::null_log_sink(),
                         .shutdown_grace = std::chrono::milliseconds(100),
                         .become_default = false});
    std::printf("ready\n");
    std::fflush(stdout);
    for (std::string line; std::getline(std::cin, line);) {
    }
    return 0;
}
