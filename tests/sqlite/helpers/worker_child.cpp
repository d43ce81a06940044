// A worker process for the crash test at scale (tests/sqlite/crash_scale_test.cpp), which starts
// several at once on one SQLite file and kills them with SIGKILL while they work. Arguments: the
// database file, the lease duration in milliseconds, the number of workers, and a folder for its
// journal. Its task "work" writes what it does to <folder>/<pid>.log, one line per write(2) (the
// kernel has the line once the call returns, so a SIGKILL right after loses nothing):
//
//   begin <run id> <attempt>     the attempt started
//   step <run id> <attempt>      the memoized step "reserve" executed (its result not stored yet)
//   fail <run id> <attempt>      the attempt is about to throw, as its run's plan says
//                                (tests/sqlite/helpers/crash_scale_plan.hpp; its outcome not stored yet)
//   end <run id> <attempt>       the attempt's code returned (its outcome not stored yet)
//
// An attempt that fails does so after its step, so a retry finds the step's result stored.
//
// It prints "ready" once its runtime runs, and shuts down and exits when its stdin closes.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <stdexcept>

#include <fmt/format.h>

#include <taskkit/sqlite.hpp>
#include <taskkit/taskkit.hpp>

#include "crash_scale_plan.hpp"

namespace {

int journal = -1;

void note(std::string_view what, std::string_view run, int attempt) {
    const auto line = fmt::format("{} {} {}\n", what, run, attempt);
    if (::write(journal, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::abort();
}

struct work_result {
    int n = 0;
    int reserved_in = 0;  ///< the attempt that executed the step
    int attempt = 0;      ///< the attempt that completed the run
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(work_result, n, reserved_in, attempt)

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s <database file> <lease in ms> <workers> <journal folder>\n", argv[0]);
        return 2;
    }
    const auto path = fmt::format("{}/{}.log", argv[4], ::getpid());
    journal = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (journal < 0) {
        std::perror(path.c_str());
        return 2;
    }
    taskkit::registry reg;
    taskkit::task<int, work_result> work(
        {.id = "work",
         .retry = {.max_attempts = crash_scale::max_attempts,
                   .factor = crash_scale::retry_factor,
                   .min_timeout = crash_scale::retry_min_timeout,
                   .max_timeout = crash_scale::retry_max_timeout,
                   .randomize = false},
         .run =
             [](const int& n, taskkit::run_context& ctx) {
                 const std::string id(ctx.run().id);
                 const int attempt = ctx.attempt().number;
                 note("begin", id, attempt);
                 const int reserved_in = ctx.step("reserve", [&] {
                     note("step", id, attempt);
                     return attempt;
                 });
                 // The run's work, after its step: a crash here finds the step stored.
                 std::this_thread::sleep_for(std::chrono::milliseconds(4));
                 if (crash_scale::plan_of(n).fails(attempt)) {
                     note("fail", id, attempt);
                     throw std::runtime_error(fmt::format("planned failure of attempt {}", attempt));
                 }
                 note("end", id, attempt);
                 return work_result{n, reserved_in, attempt};
             }},
        reg);
    taskkit::sqlite_options options{.path = argv[1],
                                    .busy_timeout = std::chrono::seconds(30),
                                    .synchronous = taskkit::sqlite_synchronous::normal,
                                    .lease_duration = std::chrono::milliseconds(std::atoi(argv[2])),
                                    .poll_interval = std::chrono::milliseconds(20)};
    taskkit::runtime rt({.workers = static_cast<unsigned>(std::atoi(argv[3])),
                         .registry = &reg,
                         .backend = taskkit::sqlite_backend(options),
                         .log_sink = taskkit::null_log_sink(),
                         .shutdown_grace = std::chrono::seconds(5),
                         .become_default = false});
    std::printf("ready\n");
    std::fflush(stdout);
    for (std::string line; std::getline(std::cin, line);) {
    }
    return 0;
}
