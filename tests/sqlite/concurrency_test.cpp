// Several processes on one file, as threads that each open their own store (their own
// connections, as separate processes would): idempotency under concurrent creates, each run
// claimed by exactly one, limits and caps holding across all of them. Bounded in time: every loop
// ends when the work is done or after a deadline.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "sqlite_test_support.hpp"

using namespace sqlite_test;
using taskkit::run_status;

namespace {

constexpr auto deadline = std::chrono::seconds(60);

/// Runs `body(i)` on `n` threads at once and joins them; exceptions fail the test.
template <class F>
void on_threads(int n, F body) {
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    std::mutex errors_mutex;
    std::vector<std::string> errors;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            ++ready;
            while (ready.load() < n) std::this_thread::yield();  // start together
            try {
                body(i);
            } catch (const std::exception& e) {
                std::lock_guard lock(errors_mutex);
                errors.push_back(e.what());
            }
        });
    for (auto& th : threads) th.join();
    for (const auto& e : errors) FAIL_CHECK(e);
}

}  // namespace

TEST_CASE("concurrent creates with one idempotency key, from several processes, create one run") {
    temp_dir dir;
    { store::store init(options(dir.file())); }
    constexpr int processes = 6;
    constexpr int attempts = 15;
    std::mutex mutex;
    std::set<std::string> answers;
    std::atomic<int> created{0};
    on_threads(processes, [&](int p) {
        store::store s(options(dir.file()));
        for (int i = 0; i < attempts; ++i) {
            const auto made = create(s, {.id = fmt::format("run_{}_{}", p, i),
                                         .task = "charge",
                                         .idempotency_key = "order-42",
                                         .payload = {{"p", p}}});
            if (!made.existing) ++created;
            std::lock_guard lock(mutex);
            answers.insert(made.id);
        }
    });
    CHECK(created == 1);
    CHECK(answers.size() == 1);
    store::store s(options(dir.file()));
    CHECK(s.list({.limit = 1000}).runs.size() == 1);
}

TEST_CASE("each run is claimed by exactly one of several processes, and every run is claimed") {
    temp_dir dir;
    constexpr int runs = 400;
    {
        store::store init(options(dir.file()));
        std::vector<run_spec> specs;
        for (int i = 0; i < runs; ++i)
            specs.push_back(
                {.id = fmt::format("run_{:04}", i), .key = "k" + std::to_string(i % 7), .created = i * 1e-3});
        std::vector<store::new_run> views;
        for (const auto& spec : specs) views.push_back(spec.view());
        init.create(views, t(0));
    }
    std::mutex mutex;
    std::map<std::string, int> claims;
    const auto until = std::chrono::steady_clock::now() + deadline;
    on_threads(4, [&](int p) {
        store::store s(options(dir.file()));
        const auto owner = "p" + std::to_string(p);
        while (std::chrono::steady_clock::now() < until) {
            auto got = s.claim({.owner = owner, .now = t(1), .free = {8, 8}, .max_runs = 3});
            if (got.runs.empty() && s.counts("q").queued == 0) break;
            for (const auto& c : got.runs) {
                {
                    std::lock_guard lock(mutex);
                    ++claims[c.lease.run_id];
                }
                // Not REQUIRE: Catch's assertions are not thread-safe; on_threads reports the throw.
                if (!complete(s, c, 2).accepted)
                    throw std::runtime_error("the finish of run " + c.record.id + " was refused");
            }
        }
    });
    CHECK(claims.size() == static_cast<std::size_t>(runs));
    for (const auto& [id, n] : claims) {
        INFO(id);
        CHECK(n == 1);
    }
    store::store s(options(dir.file()));
    CHECK(s.list({.statuses = {run_status::completed}, .limit = 1000}).runs.size() == static_cast<std::size_t>(runs));
    CHECK(s.counts("q").executing == 0);
}

TEST_CASE("limits, per-key limits and total caps hold across processes") {
    temp_dir dir;
    constexpr int runs = 120;
    {
        store::store init(options(dir.file()));
        init.declare_queue({.name = "q", .concurrency_limit = 1, .total_concurrency_limit = 3}, t(0));
        for (int i = 0; i < runs; ++i)
            create(init, {.id = fmt::format("run_{:04}", i), .key = "k" + std::to_string(i % 5), .created = i * 1e-3});
    }
    std::mutex mutex;
    std::map<std::string, int> executing_per_key;
    int executing = 0;
    int peak = 0;
    int key_peak = 0;
    std::atomic<int> done{0};
    const auto until = std::chrono::steady_clock::now() + deadline;
    on_threads(4, [&](int p) {
        store::store s(options(dir.file()));
        const auto owner = "p" + std::to_string(p);
        while (done.load() < runs && std::chrono::steady_clock::now() < until) {
            auto got = s.claim({.owner = owner, .now = t(1), .free = {8, 8}, .max_runs = 2});
            if (got.runs.empty()) {
                std::this_thread::yield();
                continue;
            }
            for (const auto& c : got.runs) {
                // Counted after the claim committed and uncounted before the finish does: what is
                // counted here is at most what the database holds as executing.
                std::lock_guard lock(mutex);
                ++executing;
                peak = std::max(peak, executing);
                key_peak = std::max(key_peak, ++executing_per_key[c.record.concurrency_key]);
            }
            for (const auto& c : got.runs) {
                {
                    std::lock_guard lock(mutex);
                    --executing;
                    --executing_per_key[c.record.concurrency_key];
                }
                // Not REQUIRE: Catch's assertions are not thread-safe; on_threads reports the throw.
                if (!complete(s, c, 2).accepted)
                    throw std::runtime_error("the finish of run " + c.record.id + " was refused");
                ++done;
            }
        }
    });
    CHECK(done == runs);
    CHECK(peak <= 3);
    CHECK(key_peak <= 1);
}

TEST_CASE("a queue's rate limit holds across processes") {
    temp_dir dir;
    {
        store::store init(options(dir.file()));
        init.declare_queue({.name = "q", .rate_limit = taskkit::rate_limit{.limit = 5, .period = 10s}}, t(0));
        for (int i = 0; i < 40; ++i) create(init, {.id = fmt::format("run_{:04}", i), .created = i * 1e-3});
    }
    std::atomic<int> started{0};
    // Four processes claim at the same moments: within one window, five starts in all.
    for (double now : {1.0, 5.0, 10.9}) {
        on_threads(4, [&](int p) {
            store::store s(options(dir.file()));
            for (int i = 0; i < 5; ++i)
                started += static_cast<int>(
                    s.claim({.owner = "p" + std::to_string(p), .now = t(now), .free = {8, 8}, .max_runs = 3})
                        .runs.size());
        });
    }
    CHECK(started == 5);
    on_threads(3, [&](int p) {
        store::store s(options(dir.file()));
        started += static_cast<int>(
            s.claim({.owner = "p" + std::to_string(p), .now = t(11), .free = {8, 8}, .max_runs = 10}).runs.size());
    });
    CHECK(started == 10);
}

TEST_CASE("a lease lost to another process is refused even when both race to finish") {
    temp_dir dir;
    {
        store::store init(options(dir.file()));
        for (int i = 0; i < 30; ++i)
            create(init, {.id = fmt::format("run_{:04}", i), .created = i * 1e-3, .max_attempts = 5});
    }
    // p1 claims everything and "hangs"; p2 rescues after the leases expire; then both finish.
    store::store p1(options(dir.file()));
    auto held = p1.claim({.owner = "p1", .now = t(1), .free = {8, 8}, .max_runs = 100});
    REQUIRE(held.runs.size() == 30);
    store::store p2(options(dir.file()));
    auto rescued = p2.claim({.owner = "p2", .now = t(40), .free = {8, 8}, .max_runs = 100});
    REQUIRE(rescued.runs.size() == 30);
    std::atomic<int> accepted{0};
    on_threads(2, [&](int p) {
        auto& s = p == 0 ? p1 : p2;
        const auto& mine = p == 0 ? held.runs : rescued.runs;
        for (const auto& c : mine)
            if (complete(s, c, 41, p).accepted) ++accepted;
    });
    CHECK(accepted == 30);
    for (const auto& r : p1.list({.limit = 100}).runs) {
        CHECK(r.status == run_status::completed);
        CHECK(r.output == 1);  // p2's outcome: p1's were refused
    }
}
