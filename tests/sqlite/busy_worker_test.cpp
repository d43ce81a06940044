// A worker whose backend call fails (the database locked by another connection past the busy
// timeout) reports it to the log sink and carries on: the process does not end, and the run whose
// finish was lost gets a new attempt once its lease lapses.
#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>

#include <taskkit/sqlite.hpp>
#include <taskkit/taskkit.hpp>

#include "sqlite_test_support.hpp"
#include "support/taskkit_test.hpp"

using namespace std::chrono_literals;
using sqlite_test::temp_dir;
using taskkit::run_status;

TEST_CASE("a worker whose finish meets a locked database logs it, carries on, and the run gets a new attempt") {
    temp_dir dir;
    const std::string file = dir.file();
    taskkit::sqlite_options o;
    o.path = file;
    o.busy_timeout = 50ms;
    o.lease_duration = 600ms;
    o.poll_interval = 5ms;
    o.synchronous = taskkit::sqlite_synchronous::normal;

    std::mutex mutex;
    std::condition_variable cv;
    bool failure_logged = false;
    std::string failure_message;
    taskkit_test::gate started;
    taskkit_test::gate release;
    std::atomic<int> attempts{0};
    taskkit::registry reg;
    taskkit::task<int, int> slow({.id = "slow",
                                  .retry = {.max_attempts = 3},
                                  .run =
                                      [&](const int& n, taskkit::run_context&) {
                                          if (++attempts == 1) {
                                              started.open();
                                              release.wait();
                                          }
                                          return n;
                                      }},
                                 reg);
    auto opts = taskkit_test::options(reg, 1);
    opts.backend = taskkit::sqlite_backend(o);
    opts.become_default = false;
    opts.log_sink = [&](const taskkit::log_entry& e) {
        if (e.message.find("the backend failed") == std::string::npos) return;
        std::lock_guard lock(mutex);
        failure_message = e.message;
        failure_logged = true;
        cv.notify_all();
    };
    taskkit::runtime rt(std::move(opts));
    auto handle = rt.trigger(slow, 7);
    REQUIRE(started.wait());  // the first attempt is executing

    // Another connection takes the write lock and keeps it: the attempt's finish cannot commit.
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
    release.open();
    {
        std::unique_lock lock(mutex);
        REQUIRE(cv.wait_for(lock, taskkit_test::deadline, [&] { return failure_logged; }));
    }
    REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);

    // The lost finish's lease lapses (this process stopped renewing it) and a worker rescues the
    // run: its second attempt completes. The worker carries on with new runs too.
    REQUIRE(handle.wait_for(taskkit_test::deadline));
    CHECK(handle.status() == run_status::completed);
    CHECK(handle.get() == 7);
    CHECK(attempts == 2);
    auto next = rt.trigger(slow, 8);
    REQUIRE(next.wait_for(taskkit_test::deadline));
    CHECK(next.get() == 8);
}
