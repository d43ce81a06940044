// Crashes: a process that claimed a run is killed (SIGKILL) while the run executes; once its lease
// expires, another process gives the run a new attempt — or ends it crashed when it has none left.
// The killed processes are tests/sqlite/helpers/crash_child.cpp. Every wait has a deadline.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include <taskkit/taskkit.hpp>

#include "sqlite_test_support.hpp"
#include "support/taskkit_test.hpp"

extern char** environ;

using namespace sqlite_test;
using taskkit::run_status;

namespace {

/// A child process running crash_child, with a pipe from its stdout and one to its stdin. Killed
/// and reaped at the end of the scope if the test has not done it.
class child_process {
public:
    child_process(const std::string& db, std::chrono::milliseconds lease) {
        int out[2];
        int in[2];
        REQUIRE(::pipe(out) == 0);
        REQUIRE(::pipe(in) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        posix_spawn_file_actions_addclose(&actions, in[1]);
        const std::string program = TASKKIT_SQLITE_CRASH_CHILD;
        const std::string lease_ms = std::to_string(lease.count());
        std::vector<char*> argv{const_cast<char*>(program.c_str()), const_cast<char*>(db.c_str()),
                                const_cast<char*>(lease_ms.c_str()), nullptr};
        const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        ::close(in[0]);
        out_ = out[0];
        in_ = in[1];
        REQUIRE(rc == 0);
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process() {
        kill();
        ::close(out_);
        ::close(in_);
    }

    /// The next line the child prints, or nothing when none comes before the deadline.
    std::optional<std::string> read_line(std::chrono::seconds timeout = std::chrono::seconds(30)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
                auto line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                return line;
            }
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{out_, POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR) continue;
            if (ready <= 0) return std::nullopt;
            char chunk[256];
            const auto n = ::read(out_, chunk, sizeof chunk);
            if (n <= 0) return std::nullopt;  // the child exited
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    /// SIGKILL, then reaps it: the process ends with no chance to finish or give anything back.
    void kill() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    int in_ = -1;
    std::string buffer_;
};

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
        child_process child(o.path, lease);
        REQUIRE(started_attempt(child, id) == 1);
        child.kill();
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
        child_process child(o.path, lease);
        REQUIRE(started_attempt(child, id) == attempt);
        child.kill();
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
