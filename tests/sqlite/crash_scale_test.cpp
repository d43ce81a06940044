// Crashes at scale: 10,000 runs on one file, worked by processes that are killed with SIGKILL while
// they execute runs and replaced by new ones, until every run has ended. The runs fail and are
// retried meanwhile, as a plan decided from each payload and attempt number says
// (tests/sqlite/helpers/crash_scale_plan.hpp): 10% throw on their first attempt, 10% on their
// first two, 2% on every attempt, so they end failed once out of attempts. Then the file (and the
// journals the processes wrote, tests/sqlite/helpers/worker_child.cpp) must show every run ended
// once, as its plan and the crashes it met say (completed, or failed for the runs that always
// fail); none lost, none duplicated; at most max_attempts attempts that did not crash, and no more
// crashed attempts than kills that cut an attempt of the run short, besides the rare lease that
// lapsed in a live process whose renewals starved (handled like a crash); an extra attempt for each run
// whose attempt a kill cut short; and no memoized step executed again once an attempt stored its
// result, except in an attempt a kill cut short before it stored it.
//
// Bounded: the work must be done within a deadline, else the test fails (and its processes are
// killed). Hidden from the discovery of test_sqlite's cases ([.]): it runs as a CTest test of its
// own, with a timeout that fits it (tests/sqlite/area.cmake). Leases are short (1.5 s), so a killed process's runs are
// rescued quickly.
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <taskkit/taskkit.hpp>

#include "child_process.hpp"
#include "helpers/crash_scale_plan.hpp"
#include "sqlite_test_support.hpp"
#include "support/taskkit_test.hpp"

using namespace sqlite_test;
using taskkit::run_status;

namespace {

constexpr int total_runs = 10'000;
constexpr int worker_processes = 2;  ///< alive at once
constexpr int workers_per_process = 4;
constexpr int wanted_kills = 24;
#if defined(__SANITIZE_THREAD__)
// Under ThreadSanitizer everything runs several times slower, and a renewal waiting for the write
// lock behind two processes' workers can outlast a short lease: a lease lapsing in a live process is
// a rescue that no kill caused. It must then be handled as one (the live attempt stopped and its
// outcome refused, a new attempt), and the checks below allow a few, but a longer lease keeps them rare.
constexpr auto lease = std::chrono::milliseconds(4000);
#else
constexpr auto lease = std::chrono::milliseconds(1500);
#endif
// Under the test's own CTest timeout (tests/sqlite/area.cmake: 300 s, where triggering the runs
// takes up to 25 s under ThreadSanitizer on two cores and the work 85 s).
constexpr auto work_deadline = std::chrono::seconds(200);

/// One line of a worker's journal.
struct journal_line {
    std::string what;  ///< begin, step, fail, end
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

/// The attempts a journal shows begun and neither ended nor failing: the ones a kill cut short
/// (once the process is dead).
std::set<std::pair<std::string, int>> open_attempts(const std::vector<journal_line>& lines) {
    std::set<std::pair<std::string, int>> open;
    for (const auto& l : lines) {
        if (l.what == "begin") open.emplace(l.run, l.attempt);
        if (l.what == "end" || l.what == "fail") open.erase({l.run, l.attempt});
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

TEST_CASE(
    "10,000 runs on one file, failing and retried by plan, end once each while their worker processes are "
    "killed and replaced",
    "[.][sqlite-crash-scale]") {
    temp_dir dir;
    const auto db = dir.file();
    const auto journals = dir.path() / "journals";
    std::filesystem::create_directory(journals);
    const auto started = std::chrono::steady_clock::now();

    // Trigger every run first, from a runtime that runs nothing (its own registry, as a process).
    {
        taskkit::registry reg;
        // A run's max_attempts is its triggering definition's: the same as the workers'.
        taskkit::task<int, nlohmann::json> work({.id = "work",
                                                 .retry = {.max_attempts = crash_scale::max_attempts},
                                                 .run = [](const int&) { return nlohmann::json(); }},
                                                reg);
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
        std::string error_message;
    };
    std::map<std::string, run_row> runs;
    {
        auto st = file.prepare(
            "SELECT id, status, payload, output, attempts_started, json_extract(error, '$.message') FROM runs");
        while (st.step()) {
            run_row r;
            r.status = std::string(st.text_view(1));
            r.n = nlohmann::json::parse(st.text_view(2)).get<int>();
            if (!st.is_null(3)) r.output = nlohmann::json::parse(st.text_view(3));
            r.attempts = static_cast<int>(st.int64(4));
            if (!st.is_null(5)) r.error_message = std::string(st.text_view(5));
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

    // Ended once: one terminal status change per run in the file's event log (its status).
    std::map<std::string, std::vector<std::string>> terminal_events;
    {
        auto st = file.prepare(
            "SELECT run_id, status FROM events WHERE kind = 'status' AND status IN ('completed', 'failed', "
            "'canceled', 'crashed', 'timed_out', 'expired')");
        while (st.step()) terminal_events[std::string(st.text_view(0))].emplace_back(st.text_view(1));
    }

    // Each run's attempts, numbered from 1: each one crashed, failed as planned, or completed.
    struct attempt_row {
        int number = 0;
        std::string error_code;     ///< empty: none
        std::string error_message;  ///< empty: no error
        pid_t pid = 0;
    };
    std::map<std::string, std::vector<attempt_row>> attempts;
    {
        auto st = file.prepare(
            "SELECT run_id, number, json_extract(error, '$.code'), json_extract(error, '$.message'), owner FROM "
            "attempts ORDER BY run_id, number");
        while (st.step()) {
            attempt_row a;
            a.number = static_cast<int>(st.int64(1));
            if (!st.is_null(2)) a.error_code = std::string(st.text_view(2));
            if (!st.is_null(3)) a.error_message = std::string(st.text_view(3));
            a.pid = pid_of_owner(std::string(st.text_view(4)));
            attempts[std::string(st.text_view(0))].push_back(std::move(a));
        }
    }
    std::map<std::string, int> reserved_in;  // the attempt whose step result the file holds
    {
        auto st = file.prepare("SELECT run_id, attempt FROM steps WHERE key = 'reserve'");
        while (st.step()) reserved_in[std::string(st.text_view(0))] = static_cast<int>(st.int64(1));
    }

    // What the processes did, from their journals.
    struct step_execution {
        int attempt = 0;
        pid_t pid = 0;
    };
    std::map<std::string, std::vector<step_execution>> step_executions;
    std::map<std::pair<std::string, int>, std::pair<pid_t, std::string>> returned;  // (run, attempt): end or fail
    std::map<std::string, std::vector<std::string>> journal_of;                     // a run's lines, for reports
    std::set<std::tuple<std::string, int, pid_t>> begun;                            // (run, attempt, process)
    for (const auto& entry : std::filesystem::directory_iterator(journals)) {
        const auto pid = static_cast<pid_t>(std::stol(entry.path().stem().string()));
        for (const auto& l : read_journal(entry.path())) {
            journal_of[l.run].push_back(fmt::format("{} {} in {}", l.what, l.attempt, pid));
            if (l.what == "begin") begun.emplace(l.run, l.attempt, pid);
            if (l.what == "step") step_executions[l.run].push_back({l.attempt, pid});
            if (l.what == "end" || l.what == "fail") returned[{l.run, l.attempt}] = {pid, l.what};
        }
    }

    const auto planned_message = [](int attempt) { return fmt::format("planned failure of attempt {}", attempt); };
    int bad_status = 0, bad_events = 0, bad_attempts = 0, bad_budget = 0, bad_crashes = 0, bad_output = 0;
    int bad_steps = 0;
    int completed = 0, failed = 0, crashed_out = 0;
    int retried = 0;             // runs that failed an attempt and had another
    int planned_failures = 0;    // attempts that failed as planned
    int outcome_by_crashes = 0;  // runs whose crashes took the attempts their plan needed
    int crashed_attempts = 0;
    int crashed_in_live = 0;   // crashed attempts of processes that were not killed (a lapsed lease)
    int memoized_rescues = 0;  // crashed attempts after the run's step was stored
    // The whole story of the first runs found wrong, printed so that a failure explains itself.
    std::vector<std::string> reports;
    for (const auto& [id, r] : runs) {
        const int wrong_before =
            bad_status + bad_events + bad_attempts + bad_budget + bad_crashes + bad_output + bad_steps;
        const auto plan = crash_scale::plan_of(r.n);
        const auto& as = attempts[id];
        // The attempts as the plan and the crashes say, and the status they lead to: the last
        // attempt completed, failed as planned with none left, or crashed with none left
        // (crashed attempts count against max_attempts).
        bool attempts_ok = r.attempts >= 1 && static_cast<int>(as.size()) == r.attempts;
        std::string expected_status;
        int not_crashed = 0;
        int crashed = 0;
        std::set<pid_t> killed_owners;  // the kills that cut an attempt of this run short
        int lapsed = 0;                 // attempts of this run whose lease lapsed in a live process
        bool had_failure = false;
        for (std::size_t i = 0; attempts_ok && i < as.size(); ++i) {
            const auto& a = as[i];
            const bool last = i + 1 == as.size();
            attempts_ok = a.number == static_cast<int>(i) + 1 && all_pids.contains(a.pid);
            if (a.error_code == "run_crashed") {
                ++crashed;
                if (killed.contains(a.pid)) {
                    killed_owners.insert(a.pid);
                } else {
                    // A lease that lapsed in a live process: the attempt began there.
                    ++crashed_in_live;
                    ++lapsed;
                    if (!begun.contains({id, a.number, a.pid})) attempts_ok = false;
                }
                if (last) expected_status = a.number == crash_scale::max_attempts ? "crashed" : "";
                if (const auto s = reserved_in.find(id); s != reserved_in.end() && s->second < a.number)
                    ++memoized_rescues;
                continue;
            }
            ++not_crashed;
            // The attempt's code returned (or threw) in the process that held it.
            const auto ret = returned.find({id, a.number});
            const bool fails = plan.fails(a.number);
            if (ret == returned.end() || ret->second.first != a.pid || ret->second.second != (fails ? "fail" : "end"))
                attempts_ok = false;
            if (fails) {
                ++planned_failures;
                had_failure = true;
                if (!a.error_code.empty() || a.error_message != planned_message(a.number)) attempts_ok = false;
                if (last) expected_status = a.number == crash_scale::max_attempts ? "failed" : "";
            } else {
                if (!a.error_message.empty() || !last) attempts_ok = false;  // a success ends the run
                expected_status = "completed";
            }
        }
        if (!attempts_ok || expected_status.empty()) ++bad_attempts;
        // The plan decides the outcome (completed, or failed for a run that always fails) unless
        // crashes took the attempts the run needed.
        const std::string by_plan = plan.always ? "failed" : "completed";
        if (r.status != expected_status || (r.status != by_plan && crashed == 0)) ++bad_status;
        if (terminal_events[id] != std::vector<std::string>{r.status}) ++bad_events;
        // Never more attempts than the budget: max_attempts that did not crash, and one crashed
        // attempt per kill that cut one of the run's attempts short at most, besides the leases
        // that lapsed in live processes (crashed attempts count against max_attempts too, so all
        // of them fit in it).
        if (not_crashed > crash_scale::max_attempts || r.attempts > crash_scale::max_attempts) ++bad_budget;
        if (crashed > static_cast<int>(killed_owners.size()) + lapsed) ++bad_crashes;
        crashed_attempts += crashed;
        if (had_failure && r.attempts > 1) ++retried;
        if (r.status != by_plan) ++outcome_by_crashes;
        if (r.status == "completed") ++completed;
        if (r.status == "failed") ++failed;
        if (r.status == "crashed") ++crashed_out;

        // The output: the payload, the attempt that completed it, and the step's stored result;
        // a failed run keeps its last attempt's error.
        const auto stored = reserved_in.find(id);
        if (r.status == "completed" &&
            (stored == reserved_in.end() || r.output.value("n", -1) != r.n ||
             r.output.value("attempt", 0) != r.attempts || r.output.value("reserved_in", 0) != stored->second))
            ++bad_output;
        if (r.status == "failed" && r.error_message != planned_message(r.attempts)) ++bad_output;
        // Every attempt that did not crash went past the step: its result is stored.
        if (not_crashed > 0 && stored == reserved_in.end()) ++bad_steps;
        // The step executed in the attempt that stored its result, once, and in no later attempt;
        // an earlier execution belongs to an attempt a kill cut short (or whose lease lapsed)
        // before its result was stored, in the process that held it.
        if (stored != reserved_in.end()) {
            for (const auto& ex : step_executions[id]) {
                if (ex.attempt > stored->second) ++bad_steps;
                if (ex.attempt < stored->second) {
                    const auto cut = static_cast<std::size_t>(ex.attempt) - 1;
                    if (ex.attempt < 1 || cut >= as.size() || as[cut].error_code != "run_crashed" ||
                        as[cut].pid != ex.pid)
                        ++bad_steps;
                }
            }
            const auto& ex = step_executions[id];
            if (std::count_if(ex.begin(), ex.end(), [&](const auto& e) { return e.attempt == stored->second; }) != 1)
                ++bad_steps;
        }
        if (wrong_before !=
                bad_status + bad_events + bad_attempts + bad_budget + bad_crashes + bad_output + bad_steps &&
            reports.size() < 5) {
            std::string report = fmt::format(
                "run {} (payload {}, plan: first {} attempts fail{}): {} after {} attempts, expected {}; stored step "
                "of attempt {}; terminal events [{}]\n",
                id, r.n, plan.failing_attempts, plan.always ? ", always" : "", r.status, r.attempts,
                expected_status.empty() ? "(none)" : expected_status, stored == reserved_in.end() ? 0 : stored->second,
                fmt::join(terminal_events[id], ", "));
            for (const auto& a : as)
                report +=
                    fmt::format("  attempt {}: {} {} in {} ({})\n", a.number, a.error_code.empty() ? "-" : a.error_code,
                                a.error_message, a.pid, killed.contains(a.pid) ? "killed" : "live");
            report += fmt::format("  journal: {}\n", fmt::join(journal_of[id], "; "));
            reports.push_back(std::move(report));
        }
    }
    for (const auto& report : reports) fmt::print("{}", report);
    CHECK(bad_status == 0);
    CHECK(bad_events == 0);
    CHECK(bad_attempts == 0);
    CHECK(bad_budget == 0);
    CHECK(bad_crashes == 0);
    // Leases lapse in live processes only when renewals starve (a loaded machine, a sanitizer):
    // a few, never a systematic loss.
    CHECK(crashed_in_live <= total_runs / 100);
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
            const bool recorded = attempt >= 1 && static_cast<std::size_t>(attempt) <= as.size() &&
                                  as[static_cast<std::size_t>(attempt) - 1].error_code == "run_crashed" &&
                                  as[static_cast<std::size_t>(attempt) - 1].pid == pid;
            // An extra attempt, unless the attempt cut short was the run's last one allowed.
            const bool extra = runs[run].attempts > attempt || attempt == crash_scale::max_attempts;
            if (!recorded || !extra) ++cut_without_extra;
        }
    }
    CHECK(cut_without_extra == 0);
    CHECK(cut >= static_cast<int>(cut_short.size()));
    // The cases the checks are for happened: retries, runs out of attempts, crashes after a stored step.
    CHECK(retried > total_runs / 10);
    CHECK(failed > 0);
    CHECK(memoized_rescues > 0);

    const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
    fmt::print(
        "crash at scale: {} runs ({} completed, {} failed, {} crashed; {} changed by crashes), {} retried, {} planned "
        "failures; {} processes killed ({} in the middle of an attempt, {} started), {} attempts open in a journal "
        "when killed, {} crashed attempts ({} after their step was stored, {} in live processes); triggered in "
        "{:.1f} s, worked in {:.1f} s\n",
        total_runs, completed, failed, crashed_out, outcome_by_crashes, retried, planned_failures, killed.size(),
        cut_short.size(), all_pids.size(), cut, crashed_attempts, memoized_rescues, crashed_in_live,
        seconds(triggered - started), seconds(done - triggered));
}
