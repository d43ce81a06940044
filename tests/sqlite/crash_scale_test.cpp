// Crashes at scale: 10,000 runs on one file, worked by processes that are killed with SIGKILL while
// they execute runs and replaced by new ones, until every run has ended. Then the file (and the
// journals the processes wrote, tests/sqlite/helpers/worker_child.cpp) must show every run ended
// once, completed; none lost, none duplicated; an extra attempt for each run whose attempt a kill
// cut short; and no memoized step executed again once an attempt stored its result.
//
// Bounded: the work must be done within a deadline, else the test fails (and its processes are
// killed). Leases are short (1.5 s), so a killed process's runs are rescued quickly.
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include <taskkit/taskkit.hpp>

#include "child_process.hpp"
#include "sqlite_test_support.hpp"
#include "support/taskkit_test.hpp"

using namespace sqlite_test;
using taskkit::run_status;

namespace {

constexpr int total_runs = 10'000;
constexpr int worker_processes = 2;  ///< alive at once
constexpr int workers_per_process = 4;
constexpr int wanted_kills = 24;
constexpr auto lease = std::chrono::milliseconds(1500);
constexpr auto work_deadline = std::chrono::seconds(100);  // under the suite's 120 s per test case

/// One line of a worker's journal.
struct journal_line {
    std::string what;  ///< begin, step, end
    std::string run;
    int attempt = 0;
};

std::vector<journal_line> read_journal(const std::filesystem::path& file) {
    std::vector<journal_line> lines;
    std::ifstream in(file);
    for (std::string text; std::getline(in, text);) {
        std::istringstream words(text);
        journal_line line;
        if (words >> line.what >> line.run >> line.attempt) lines.push_back(std::move(line));
    }
    return lines;
}

/// The attempts a journal shows begun and not ended: the ones a kill cut short (once the
/// process is dead).
std::set<std::pair<std::string, int>> open_attempts(const std::vector<journal_line>& lines) {
    std::set<std::pair<std::string, int>> open;
    for (const auto& l : lines) {
        if (l.what == "begin") open.emplace(l.run, l.attempt);
        if (l.what == "end") open.erase({l.run, l.attempt});
    }
    return open;
}

/// The pid in an owner id ("<pid>-<random>").
pid_t pid_of_owner(const std::string& owner) { return static_cast<pid_t>(std::stol(owner.substr(0, owner.find('-')))); }

struct worker {
    std::unique_ptr<child_process> process;
    std::chrono::steady_clock::time_point kill_at;
};

}  // namespace

TEST_CASE("10,000 runs on one file end once each while their worker processes are killed and replaced",
          "[sqlite-crash-scale]") {
    temp_dir dir;
    const auto db = dir.file();
    const auto journals = dir.path() / "journals";
    std::filesystem::create_directory(journals);
    const auto started = std::chrono::steady_clock::now();

    // Trigger every run first, from a runtime that runs nothing (its own registry, as a process).
    {
        taskkit::registry reg;
        taskkit::task<int, nlohmann::json> work(
            {.id = "work", .retry = {.max_attempts = 20}, .run = [](const int&) { return nlohmann::json(); }}, reg);
        auto o = options(db);
        o.lease_duration = lease;
        auto r = taskkit_test::options(reg, 0);
        r.backend = taskkit::sqlite_backend(o);
        r.become_default = false;
        taskkit::runtime rt(std::move(r));
        for (int i = 0; i < total_runs; ++i) (void)rt.trigger(work, i);
    }
    const auto triggered = std::chrono::steady_clock::now();

    std::mt19937 random(12345);
    auto start_worker = [&] {
        worker w;
        w.process = std::make_unique<child_process>(
            TASKKIT_SQLITE_WORKER_CHILD,
            std::vector<std::string>{db, std::to_string(lease.count()), std::to_string(workers_per_process),
                                     journals.string()});
        const auto ready = w.process->read_line(std::chrono::seconds(30));
        REQUIRE(ready);
        REQUIRE(*ready == "ready");
        w.kill_at = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(std::uniform_int_distribution<int>(150, 500)(random));
        return w;
    };

    store::connection watch({.path = db});
    auto ended_runs = [&] {
        return watch.query_int(
            "SELECT count(*) FROM runs WHERE status IN ('completed', 'failed', 'canceled', 'crashed', 'timed_out', "
            "'expired')");
    };

    std::vector<worker> live;
    for (int i = 0; i < worker_processes; ++i) live.push_back(start_worker());
    std::set<pid_t> killed;
    std::set<pid_t> all_pids;
    for (const auto& w : live) all_pids.insert(w.process->pid());
    /// For each kill that landed in the middle of an attempt, the attempts its process had begun
    /// and not ended when it was killed. (A kill is aimed at a process whose journal shows an
    /// attempt open, but that attempt may end between the look and the kill.)
    std::map<pid_t, std::set<std::pair<std::string, int>>> cut_short;

    const auto deadline = triggered + work_deadline;
    std::int64_t ended = 0;
    auto next_look = std::chrono::steady_clock::now();
    while (ended < total_runs) {
        const auto now = std::chrono::steady_clock::now();
        if (now > deadline)
            FAIL(fmt::format("only {} of {} runs ended within {} s ({} kills)", ended, total_runs,
                             work_deadline.count(), killed.size()));
        // Kill the process that is due, while it executes a run (its journal shows an attempt
        // begun and not ended), and start its replacement. Kills stop while there is still work
        // left, so that each one lands in the middle of it.
        if (static_cast<int>(cut_short.size()) < wanted_kills && ended < total_runs * 8 / 10) {
            for (auto& w : live) {
                if (now < w.kill_at) continue;
                const auto journal = journals / fmt::format("{}.log", w.process->pid());
                if (open_attempts(read_journal(journal)).empty()) continue;  // between runs: look again
                const pid_t pid = w.process->pid();
                w.process->kill();
                killed.insert(pid);
                if (auto open = open_attempts(read_journal(journal)); !open.empty()) cut_short[pid] = std::move(open);
                w = start_worker();
                all_pids.insert(w.process->pid());
                break;
            }
        }
        if (now >= next_look) {
            ended = ended_runs();
            next_look = now + std::chrono::milliseconds(100);
        }
        // The next look, or the next kill: a short poll of the file and the journals.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto done = std::chrono::steady_clock::now();
    // Every run has ended: the workers left shut down cleanly when their input closes.
    for (auto& w : live) w.process->close_input();
    for (auto& w : live) {
        const auto status = w.process->wait_exit(std::chrono::seconds(30));
        REQUIRE(status);
        CHECK(WIFEXITED(*status));
        CHECK(WEXITSTATUS(*status) == 0);
    }
    REQUIRE(static_cast<int>(cut_short.size()) >= 20);  // kills in the middle of an attempt

    // ---------------------------------------------------------------- what the file says
    store::connection file({.path = db});
    struct run_row {
        int n = -1;
        std::string status;
        int attempts = 0;
        nlohmann::json output;
    };
    std::map<std::string, run_row> runs;
    {
        auto st = file.prepare("SELECT id, status, payload, output, attempts_started FROM runs");
        while (st.step()) {
            run_row r;
            r.status = std::string(st.text_view(1));
            r.n = nlohmann::json::parse(st.text_view(2)).get<int>();
            if (!st.is_null(3)) r.output = nlohmann::json::parse(st.text_view(3));
            r.attempts = static_cast<int>(st.int64(4));
            runs.emplace(std::string(st.text_view(0)), std::move(r));
        }
    }
    // None lost, none duplicated: one run per payload, all of them.
    REQUIRE(runs.size() == static_cast<std::size_t>(total_runs));
    std::set<int> payloads;
    for (const auto& [id, r] : runs) payloads.insert(r.n);
    CHECK(payloads.size() == static_cast<std::size_t>(total_runs));
    CHECK(*payloads.begin() == 0);
    CHECK(*payloads.rbegin() == total_runs - 1);

    // Ended once: one completed status change per run in the file's event log.
    std::map<std::string, int> completions;
    {
        auto st = file.prepare(
            "SELECT run_id, count(*) FROM events WHERE kind = 'status' AND status = 'completed' GROUP BY run_id");
        while (st.step()) completions[std::string(st.text_view(0))] = static_cast<int>(st.int64(1));
    }

    // Each run's attempts: numbered 1..n, the last one without error, every earlier one crashed.
    struct attempt_row {
        int number = 0;
        std::string error_code;  ///< empty: none
        pid_t pid = 0;
    };
    std::map<std::string, std::vector<attempt_row>> attempts;
    {
        auto st = file.prepare(
            "SELECT run_id, number, json_extract(error, '$.code'), owner FROM attempts ORDER BY run_id, number");
        while (st.step()) {
            attempt_row a;
            a.number = static_cast<int>(st.int64(1));
            if (!st.is_null(2)) a.error_code = std::string(st.text_view(2));
            a.pid = pid_of_owner(std::string(st.text_view(3)));
            attempts[std::string(st.text_view(0))].push_back(std::move(a));
        }
    }
    std::map<std::string, int> reserved_in;  // the attempt whose step result the file holds
    {
        auto st = file.prepare("SELECT run_id, attempt FROM steps WHERE key = 'reserve'");
        while (st.step()) reserved_in[std::string(st.text_view(0))] = static_cast<int>(st.int64(1));
    }

    // What the processes did, from their journals.
    std::map<std::string, std::vector<int>> step_executions;  // attempts that executed the step
    std::map<std::pair<std::string, int>, pid_t> ended_by;    // (run, attempt) whose code returned
    for (const auto& entry : std::filesystem::directory_iterator(journals)) {
        const auto pid = static_cast<pid_t>(std::stol(entry.path().stem().string()));
        for (const auto& l : read_journal(entry.path())) {
            if (l.what == "step") step_executions[l.run].push_back(l.attempt);
            if (l.what == "end") ended_by[{l.run, l.attempt}] = pid;
        }
    }

    int bad_status = 0, bad_completions = 0, bad_attempts = 0, bad_output = 0, bad_steps = 0;
    int rescued = 0;           // runs with more than one attempt
    int memoized_rescues = 0;  // rescued runs whose step was stored before the attempt that completed them
    int lapsed_in_live = 0;    // attempts crashed in a process that was not killed (its lease lapsed)
    for (const auto& [id, r] : runs) {
        if (r.status != "completed") ++bad_status;
        if (completions[id] != 1) ++bad_completions;
        const auto& as = attempts[id];
        bool attempts_ok = r.attempts >= 1 && static_cast<int>(as.size()) == r.attempts;
        for (std::size_t i = 0; attempts_ok && i < as.size(); ++i) {
            attempts_ok = as[i].number == static_cast<int>(i) + 1;
            const bool last = i + 1 == as.size();
            if (last && !as[i].error_code.empty()) attempts_ok = false;
            if (!last && as[i].error_code != "run_crashed") attempts_ok = false;
            if (!last && !killed.contains(as[i].pid)) ++lapsed_in_live;
        }
        if (attempts_ok && !all_pids.contains(as.back().pid)) attempts_ok = false;
        // The attempt that completed the run returned in the process that held it.
        if (attempts_ok) {
            auto it = ended_by.find({id, r.attempts});
            attempts_ok = it != ended_by.end() && it->second == as.back().pid;
        }
        if (!attempts_ok) ++bad_attempts;
        if (r.attempts > 1) ++rescued;
        // The output: the payload, the attempt that completed it, and the step's stored result.
        const auto stored = reserved_in.find(id);
        if (stored == reserved_in.end() || r.output.value("n", -1) != r.n ||
            r.output.value("attempt", 0) != r.attempts || r.output.value("reserved_in", 0) != stored->second)
            ++bad_output;
        // The step executed in the attempt that stored its result, once, and in no later attempt;
        // an earlier execution belongs to an attempt cut short before its result was stored.
        if (stored != reserved_in.end()) {
            const auto& ex = step_executions[id];
            const auto in_stored = std::count(ex.begin(), ex.end(), stored->second);
            const bool later = std::any_of(ex.begin(), ex.end(), [&](int a) { return a > stored->second; });
            if (in_stored != 1 || later) ++bad_steps;
            if (stored->second < r.attempts) ++memoized_rescues;
        }
    }
    CHECK(bad_status == 0);
    CHECK(bad_completions == 0);
    CHECK(bad_attempts == 0);
    CHECK(bad_output == 0);
    CHECK(bad_steps == 0);

    // Each run whose attempt a kill cut short got an extra attempt; the attempt cut short is
    // recorded crashed, in the killed process.
    int cut = 0;
    int cut_without_extra = 0;
    for (const auto& [pid, open] : cut_short) {
        for (const auto& [run, attempt] : open) {
            ++cut;
            const auto& as = attempts[run];
            const bool extra = runs[run].attempts > attempt && attempt >= 1 &&
                               static_cast<std::size_t>(attempt) <= as.size() &&
                               as[static_cast<std::size_t>(attempt) - 1].error_code == "run_crashed" &&
                               as[static_cast<std::size_t>(attempt) - 1].pid == pid;
            if (!extra) ++cut_without_extra;
        }
    }
    CHECK(cut_without_extra == 0);
    CHECK(cut >= static_cast<int>(cut_short.size()));
    CHECK(memoized_rescues > 0);  // the case the steps check is for happened

    const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
    fmt::print(
        "crash at scale: {} runs, {} processes killed ({} in the middle of an attempt, {} started), {} attempts cut "
        "short, {} runs rescued ({} after their step was stored), {} attempts lapsed in live processes; triggered in "
        "{:.1f} s, worked in {:.1f} s\n",
        total_runs, killed.size(), cut_short.size(), all_pids.size(), cut, rescued, memoized_rescues, lapsed_in_live,
        seconds(triggered - started), seconds(done - triggered));
}
