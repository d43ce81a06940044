// Debounce on the SQLite backend with two runtimes on one file (two processes, as far as the
// file can tell: each has its own registry and backend): the debounce table is read and written
// in each create's write transaction, so triggers from both collapse into one run per window, and
// a trailing payload stored by one runtime is the payload the other executes with, even though
// that other runtime made the run's object from its own, earlier trigger. On a shared virtual
// clock; every wait has a deadline.
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <taskkit/taskkit.hpp>

#include "sqlite_test_support.hpp"
#include "support/taskkit_test.hpp"

using namespace sqlite_test;
using namespace std::chrono_literals;
using taskkit::run_status;

namespace {

taskkit::runtime_options on_file(taskkit::registry& reg, const std::string& path,
                                 std::shared_ptr<taskkit::clock> clock) {
    auto o = options(path);
    o.poll_interval = std::chrono::milliseconds(5);
    auto r = taskkit_test::options(reg, 0, std::move(clock));
    r.backend = taskkit::sqlite_backend(o);
    r.become_default = false;
    return r;
}

/// One process's "reindex" task: records the payloads its attempts ran with.
struct reindex_process {
    reindex_process()
        : reindex({.id = "reindex",
                   .run =
                       [this](const std::string& p) {
                           std::lock_guard lock(mutex);
                           payloads.push_back(p);
                           return p;
                       }},
                  reg) {}
    std::vector<std::string> seen() {
        std::lock_guard lock(mutex);
        return payloads;
    }
    std::mutex mutex;
    std::vector<std::string> payloads;
    taskkit::registry reg;
    taskkit::task<std::string, std::string> reindex;
};

taskkit::trigger_options debounced(taskkit::debounce_mode mode) {
    return {.debounce = {.key = "site-1", .delay = 5s, .max_delay = 30s, .mode = mode}};
}

}  // namespace

TEST_CASE("two runtimes on one file collapse debounced triggers into one run per window") {
    const auto mode = GENERATE(taskkit::debounce_mode::leading, taskkit::debounce_mode::trailing);
    CAPTURE(taskkit::to_string(mode));
    temp_dir dir;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    reindex_process a;
    reindex_process b;
    taskkit::runtime ra(on_file(a.reg, dir.file(), clock));
    taskkit::runtime rb(on_file(b.reg, dir.file(), clock));
    const auto opts = debounced(mode);

    for (int window = 0; window < 2; ++window) {
        const std::string w = std::to_string(window);
        // b triggers first (its object holds the first payload), then both at once from threads,
        // then a last.
        auto first = rb.trigger(b.reindex, "first-" + w, opts);
        constexpr int per_side = 4;
        constexpr int per_thread = 10;
        std::vector<std::string> ids(2 * per_side * per_thread);
        std::atomic<int> failures{0};
        {
            std::vector<std::jthread> pool;
            for (int i = 0; i < 2 * per_side; ++i)
                pool.emplace_back([&, i] {
                    auto& rt = i % 2 == 0 ? ra : rb;
                    auto& process = i % 2 == 0 ? a : b;
                    for (int j = 0; j < per_thread; ++j) {
                        try {
                            ids[static_cast<std::size_t>(i * per_thread + j)] =
                                rt.trigger(process.reindex, "t" + std::to_string(i) + "-" + std::to_string(j), opts)
                                    .id();
                        } catch (...) {
                            ++failures;
                        }
                    }
                });
        }
        auto last = ra.trigger(a.reindex, "last-" + w, opts);
        CHECK(failures == 0);
        for (const auto& id : ids) CHECK(id == first.id());
        CHECK(last.id() == first.id());
        CHECK(last.is_cached());
        {
            store::connection file({.path = dir.file()});
            CHECK(file.query_int("SELECT count(*) FROM runs WHERE status = 'delayed'") == 1);
            CHECK(file.query_int("SELECT count(*) FROM debounce") == 1);
        }
        const std::string expected = (mode == taskkit::debounce_mode::trailing ? "last-" : "first-") + w;
        CHECK(ra.retrieve(first.id())->payload == expected);  // read from the file

        clock->advance(30s);  // the cap: due whatever the last trigger's time
        rb.run_until_idle();  // b executes the run, with the object its first trigger made
        REQUIRE(first.wait_for(taskkit_test::deadline));
        CHECK(first.status() == run_status::completed);
        CHECK(first.get() == expected);
        REQUIRE(last.wait_for(taskkit_test::deadline));
        CHECK(last.get() == expected);
    }
    CHECK(a.seen().empty());
    CHECK(b.seen().size() == 2);
    store::connection file({.path = dir.file()});
    CHECK(file.query_int("SELECT count(*) FROM runs") == 2);
}

TEST_CASE("a debounce key held in the file survives the runtime that set it") {
    temp_dir dir;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    std::string id;
    {
        reindex_process a;
        taskkit::runtime ra(on_file(a.reg, dir.file(), clock));
        id = ra.trigger(a.reindex, "before", debounced(taskkit::debounce_mode::trailing)).id();
    }
    reindex_process b;
    taskkit::runtime rb(on_file(b.reg, dir.file(), clock));
    clock->advance(3s);
    auto again = rb.trigger(b.reindex, "after", debounced(taskkit::debounce_mode::trailing));
    CHECK(again.id() == id);
    CHECK(rb.retrieve(id)->run_at == clock->now() + 5s);
    rb.run_until_idle();
    REQUIRE(again.wait_for(taskkit_test::deadline));
    CHECK(again.get() == "after");
    CHECK(b.seen() == std::vector<std::string>{"after"});
}
