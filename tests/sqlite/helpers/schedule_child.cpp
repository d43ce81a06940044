// A process for the scheduled-task test of tests/sqlite/schedule_test.cpp, several of which share
// one SQLite file: a runtime on the file given as its first argument, with a virtual clock that
// starts at the Unix time (in seconds) given as its second, and the scheduled task "tick", which
// fires every minute — by its declarative cron, or by an imperative schedule with a deduplication
// key (the third argument). The test moves every process's clock to the same times, in step:
//
//   at <unix seconds>    sets the clock there, waits until the schedule has fired for that nominal
//                        time (here or in another process), and prints "fired <unix seconds>"
//
// It prints "ready" once its runtime runs, and shuts down and exits when its stdin closes.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include <taskkit/schedule.hpp>
#include <taskkit/sqlite.hpp>
#include <taskkit/taskkit.hpp>

int main(int argc, char** argv) {
    const std::string kind = argc == 4 ? argv[3] : "";
    if (argc != 4 || (kind != "declarative" && kind != "imperative")) {
        std::fprintf(stderr, "usage: %s <database file> <start, Unix seconds> declarative|imperative\n", argv[0]);
        return 2;
    }
    const auto at = [](long long seconds) { return taskkit::time_point(std::chrono::seconds(seconds)); };
    taskkit::registry reg;
    // declarative: the task's own cron. imperative: a schedule this process creates, upserted on a
    // deduplication key, as every process of a deployment would at its start.
    taskkit::scheduled_task tick({.id = "tick",
                                  .cron = kind == "declarative" ? "* * * * *" : "",
                                  .run = [](const taskkit::schedule_payload&) {}},
                                 reg);
    auto clock = std::make_shared<taskkit::virtual_clock>(at(std::atoll(argv[2])));
    taskkit::sqlite_options options{.path = argv[1],
                                    .busy_timeout = std::chrono::seconds(30),
                                    .synchronous = taskkit::sqlite_synchronous::normal,
                                    .lease_duration = std::chrono::hours(1),  // the clock jumps: no rescues
                                    .poll_interval = std::chrono::milliseconds(10)};
    // The registry's default runtime: the one that fires its declarative schedules.
    taskkit::runtime rt({.workers = 1,
                         .clock = clock,
                         .registry = &reg,
                         .backend = taskkit::sqlite_backend(options),
                         .log_sink = taskkit::null_log_sink(),
                         .shutdown_grace = std::chrono::seconds(5)});
    std::string schedule_id = "decl_tick";
    if (kind == "imperative")
        schedule_id = taskkit::schedules(rt)
                          .create({.task = "tick", .cron = "* * * * *", .deduplication_key = "tick-every-minute"})
                          .id;
    std::printf("ready\n");
    std::fflush(stdout);
    for (std::string line; std::getline(std::cin, line);) {
        std::istringstream words(line);
        std::string command;
        long long seconds = 0;
        if (!(words >> command >> seconds) || command != "at") {
            std::fprintf(stderr, "unknown command: %s\n", line.c_str());
            return 2;
        }
        const auto nominal = at(seconds);
        clock->set(nominal);
        // The fire happens on the runtime's timer thread: wait for it, with a deadline.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        for (;;) {
            const auto last = taskkit::schedules(rt).retrieve(schedule_id).last_timestamp;
            if (last && last->time() == nominal) break;
            if (std::chrono::steady_clock::now() > deadline) {
                std::fprintf(stderr, "the schedule did not fire for %lld\n", seconds);
                return 3;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        std::printf("fired %lld\n", seconds);
        std::fflush(stdout);
    }
    return 0;
}
