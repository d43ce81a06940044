// Crashes: a process that claimed a run is killed (SIGKILL) while the run executes; once its lease
// expires, another process gives the run a new attempt — or ends it crashed when it has none left.
// The killed processes are tests/sqlite/helpers/crash_child.cpp. Every wait has a deadline.
#include <memory>
#include <sstream>

#include <taskkit/taskkit.hpp>

#include "child_process.hpp"
#include "sqlite_test_support.hpp"
#include "support/taskkit_test.hpp"

using namespace sqlite_test;
using taskkit::run_status;

namespace {

/// A crash_child process on the file, with the given lease.
std::unique_ptr<child_process> crash_child(const std::string& db, std::chrono::milliseconds lease) {
    return std::make_unique<child_process>(TASKKIT_SQLITE_CRASH_CHILD,
                                           std::vector<std::string>{db, std::to_string(lease.count())});
}

/// The attempt of run `id` that the child reports starting ("started <id> <attempt>"), skipping
/// its other lines; 0 when none comes before the deadline.
int started_attempt(child_process& child, const std::string& id) {
    while (auto line = child.read_line()) {
        std::istringstream in(*line);
        std::string word;
        std::string run;
        int attempt = 0;
        in >> word >> run >> attempt;
        if (word == "started") return run == id ? attempt : 0;
    }
    return 0;
}

constexpr auto lease = std::chrono::milliseconds(1000);

taskkit::sqlite_options crash_options(const std::string& path) {
    auto o = options(path);
    o.lease_duration = lease;
    o.poll_interval = 5ms;
    return o;
}

/// The survivor's (and the triggering runtime's) definition of "crashy": it completes, and says
/// which attempt it was.
struct survivor_tasks {
    taskkit::registry reg;
    taskkit::task<int, int> crashy{
        {.id = "crashy", .run = [](const int&, taskkit::run_context& ctx) { return ctx.attempt().number; }}, reg};
};

taskkit::runtime_options on_file(taskkit::registry& reg, const taskkit::sqlite_options& o, unsigned workers) {
    auto r = taskkit_test::options(reg, workers);
    r.backend = taskkit::sqlite_backend(o);
    r.become_default = false;
    return r;
}

/// Triggers a "crashy" run with a runtime that runs nothing, and returns its id.
std::string trigger_crashy(const taskkit::sqlite_options& o, int max_attempts) {
    survivor_tasks t;
    taskkit::runtime rt(on_file(t.reg, o, 0));
    return rt.trigger(t.crashy, 1, {.max_attempts = max_attempts}).id();
}

}  // namespace

TEST_CASE("a run whose process was killed while it executed gets a new attempt elsewhere once its lease expires") {
    temp_dir dir;
    const auto o = crash_options(dir.file());
    const auto id = trigger_crashy(o, 3);
    {
        auto child = crash_child(o.path, lease);
        REQUIRE(started_attempt(*child, id) == 1);
        child->kill();
    }
    {
        store::store reader(options(o.path));
        CHECK(status_of(reader, id) == run_status::executing);  // as the dead process left it
    }
    survivor_tasks t;
    taskkit::runtime survivor(on_file(t.reg, o, 2));
    auto h = survivor.handle(id);
    REQUIRE(h);
    REQUIRE(h->wait_for(taskkit_test::deadline));
    CHECK(h->status() == run_status::completed);
    CHECK(h->get() == 2);  // the second attempt, in the survivor
    auto record = survivor.retrieve(id);
    REQUIRE(record);
    REQUIRE(record->attempts.size() == 2);
    REQUIRE(record->attempts[0].error);
    CHECK(record->attempts[0].error->code == taskkit::error_code::run_crashed);
    CHECK_FALSE(record->attempts[1].error);
}

TEST_CASE("a run whose every attempt was lost to a crash ends crashed") {
    temp_dir dir;
    const auto o = crash_options(dir.file());
    const auto id = trigger_crashy(o, 2);
    for (int attempt = 1; attempt <= 2; ++attempt) {
        // The second process rescues the run once the first one's lease expires.
        auto child = crash_child(o.path, lease);
        REQUIRE(started_attempt(*child, id) == attempt);
        child->kill();
    }
    survivor_tasks t;
    taskkit::runtime survivor(on_file(t.reg, o, 2));
    auto h = survivor.handle(id);
    REQUIRE(h);
    REQUIRE(h->wait_for(taskkit_test::deadline));
    CHECK(h->status() == run_status::crashed);
    auto record = survivor.retrieve(id);
    REQUIRE(record);
    CHECK(record->status == run_status::crashed);
    REQUIRE(record->error);
    CHECK(record->error->code == taskkit::error_code::run_crashed);
    CHECK(record->attempts.size() == 2);
    CHECK_THROWS(h->get());
}
