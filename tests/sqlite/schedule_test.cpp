// Scheduled tasks on a shared file: each nominal time of a schedule fires in one process of all
// those on the file (backend::claim_schedule_fire, decided in the file's schedule_fires table).
// The processes are tests/sqlite/helpers/schedule_child.cpp, each with a virtual clock that the
// test moves to the same times in all of them. Every wait has a deadline.
#include <sys/wait.h>

#include <atomic>
#include <ctime>
#include <map>
#include <set>
#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <taskkit/taskkit.hpp>

#include "child_process.hpp"
#include "sqlite_test_support.hpp"

using namespace sqlite_test;

TEST_CASE("the SQLite backend grants a schedule's fire at a nominal time to one caller across backends on the file",
          "[sqlite-schedule]") {
    temp_dir dir;
    auto a = taskkit::sqlite_backend(options(dir.file()));
    auto b = taskkit::sqlite_backend(options(dir.file()));
    const auto nominal = t(60);
    std::atomic<int> granted{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            auto& backend = i % 2 ? *a : *b;
            if (backend.claim_schedule_fire("decl_report", nominal)) ++granted;
        });
    for (auto& th : threads) th.join();
    CHECK(granted == 1);
    // Another nominal time, or another schedule at the same time, is a fire of its own.
    CHECK(a->claim_schedule_fire("decl_report", t(120)));
    CHECK(b->claim_schedule_fire("decl_cleanup", nominal));
    CHECK_FALSE(a->claim_schedule_fire("decl_report", t(120)));
    // A backend whose runs live in its process grants every fire: each runtime fires on its own.
    auto memory = taskkit::memory_backend();
    CHECK(memory->claim_schedule_fire("decl_report", nominal));
    CHECK(memory->claim_schedule_fire("decl_report", nominal));
}

#if defined(TASKKIT_SQLITE_SCHEDULE_CHILD)

namespace {

/// "2027-01-15T08:01:00Z": a nominal time as a schedule's payload and metadata write it.
std::string iso(long long unix_seconds) {
    const auto tt = static_cast<std::time_t>(unix_seconds);
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(tt));
}

}  // namespace

TEST_CASE("a scheduled task fires once per nominal time across two processes on one file", "[sqlite-schedule]") {
    // A declarative schedule (the task's cron), or an imperative one that each process creates with
    // the same deduplication key: either is one schedule across the processes.
    const std::string kind = GENERATE(as<std::string>{}, "declarative", "imperative");
    INFO(kind << " schedule");
    temp_dir dir;
    const auto db = dir.file();
    { store::store created(options(db)); }       // the file exists before either process opens it
    constexpr long long origin = 1'800'000'000;  // a whole minute
    constexpr int minutes = 12;
    child_process a(TASKKIT_SQLITE_SCHEDULE_CHILD, {db, std::to_string(origin + 30), kind});
    child_process b(TASKKIT_SQLITE_SCHEDULE_CHILD, {db, std::to_string(origin + 30), kind});
    REQUIRE(a.read_line() == "ready");
    REQUIRE(b.read_line() == "ready");
    const std::set<long> pids{a.pid(), b.pid()};
    store::connection file({.path = db});
    auto runs_at = [&](long long seconds) {
        auto st = file.prepare(
            "SELECT count(*) FROM runs WHERE task_id = 'tick' AND json_extract(metadata, '$.schedule.timestamp') = ?1");
        st.bind(1, iso(seconds));
        REQUIRE(st.step());
        return st.int64(0);
    };
    // Both clocks move to each nominal time at once: both processes' timers fire for it.
    for (int k = 1; k <= minutes; ++k) {
        const long long nominal = origin + 60LL * k;
        const auto command = fmt::format("at {}", nominal);
        REQUIRE(a.send(command));
        REQUIRE(b.send(command));
        const auto fired = fmt::format("fired {}", nominal);
        REQUIRE(a.read_line() == fired);
        REQUIRE(b.read_line() == fired);
        INFO("nominal time " << iso(nominal));
        REQUIRE(poll_until([&] { return runs_at(nominal) >= 1; }, std::chrono::seconds(20)));
    }
    a.close_input();
    b.close_input();
    for (auto* p : {&a, &b}) {
        const auto status = p->wait_exit(std::chrono::seconds(30));
        REQUIRE(status);
        CHECK(WIFEXITED(*status));
        CHECK(WEXITSTATUS(*status) == 0);
    }
    // Once both processes are gone: exactly one run per nominal time, and no other.
    std::map<std::string, int> per_nominal;
    {
        auto st = file.prepare(
            "SELECT json_extract(metadata, '$.schedule.timestamp'), count(*) FROM runs WHERE task_id = 'tick' GROUP BY "
            "1");
        while (st.step()) per_nominal[std::string(st.text_view(0))] = static_cast<int>(st.int64(1));
    }
    std::map<std::string, int> expected;
    for (int k = 1; k <= minutes; ++k) expected[iso(origin + 60LL * k)] = 1;
    const auto text = [](const std::map<std::string, int>& counts) {
        std::string out;
        for (const auto& [nominal, count] : counts) out += fmt::format("{}: {} run(s)\n", nominal, count);
        return out;
    };
    CHECK(text(per_nominal) == text(expected));
    // The file says which process fired each: one of the two, once per nominal time.
    std::set<std::string> owners;
    {
        auto st = file.prepare("SELECT nominal_at, owner FROM schedule_fires WHERE schedule_id = ?1");
        st.bind(1, kind == "declarative" ? "decl_tick" : "key:tick-every-minute");
        int fires = 0;
        while (st.step()) {
            ++fires;
            owners.insert(std::string(st.text_view(1)));
        }
        CHECK(fires == minutes);
    }
    CHECK(owners.size() <= 2);
    for (const auto& owner : owners) CHECK(pids.contains(std::stol(owner.substr(0, owner.find('-')))));
}

#endif
