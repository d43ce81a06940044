// Queue controls on the SQLite backend: a pause and a limit override are kept in the file, so they
// hold for every runtime (process) claiming from it, and outlive the runtime that set them. Each
// runtime has a registry of its own, as a process would. Every wait has a deadline.
#include <atomic>

#include <taskkit/taskkit.hpp>

#include "runtime_on_file.hpp"
#include "sqlite_test_support.hpp"
#include "support/taskkit_test.hpp"

using namespace sqlite_test;
using taskkit::run_status;

namespace {

/// One process's "sync" task, on the queue "shared" with a declared limit of 1.
struct sync_process {
    sync_process()
        : sync({.id = "sync",
                .queue = {.name = "shared", .concurrency_limit = 1},
                .run = [this](const int&) { ++executions; }},
               reg) {}
    std::atomic<int> executions{0};
    taskkit::registry reg;
    taskkit::task<int> sync;
};

}  // namespace

TEST_CASE("a queue paused by one runtime on a file starts nothing in another, until resumed") {
    temp_dir dir;
    sync_process a;
    sync_process b;
    taskkit::runtime controller(runtime_on_file(a.reg, dir.file(), 0));  // triggers and steers; runs nothing
    taskkit::runtime worker(runtime_on_file(b.reg, dir.file(), 0));  // driven by hand: claims what it may, then returns
    controller.queues().pause("shared");
    CHECK(worker.queues().find("shared")->paused);  // read from the file
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 5; ++i) hs.push_back(controller.trigger(a.sync, i));
    CHECK(worker.queues().find("shared")->queued == 5);
    worker.run_until_idle();  // every claim it makes finds the queue paused
    CHECK(b.executions.load() == 0);
    controller.queues().resume("shared");
    worker.run_until_idle();
    CHECK(b.executions.load() == 5);
    for (auto& h : hs) CHECK(controller.retrieve(h.id())->status == run_status::completed);  // read from the file
}

TEST_CASE("a limit override is kept in the file and outlives the runtime that set it") {
    temp_dir dir;
    {
        sync_process a;
        taskkit::runtime first(runtime_on_file(a.reg, dir.file(), 0));
        first.queues().set_concurrency("shared", 4);
        first.queues().pause("shared");
    }
    sync_process b;
    taskkit::runtime second(runtime_on_file(b.reg, dir.file(), 0));  // declares "shared" again, with limit 1
    auto q = second.queues().find("shared");
    REQUIRE(q);
    CHECK(q->limit == 4);
    CHECK(q->declared_limit == 1);
    CHECK(q->limit_overridden);
    CHECK(q->paused);
    second.queues().reset_concurrency("shared");
    second.queues().resume("shared");
    q = second.queues().find("shared");
    CHECK(q->limit == 1);
    CHECK_FALSE(q->limit_overridden);
    CHECK_FALSE(q->paused);
}
