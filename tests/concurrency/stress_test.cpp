// A stress test: 100,000 runs across 100 keys with random failures, retries, cancels and delays.
// Every run ends in exactly one terminal status, no run exceeds its attempts, no limit is exceeded.
#include <random>
#include <unordered_map>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;

namespace {
struct job {
    int key = 0;
    int fail_attempts = 0;  ///< attempts that throw before one succeeds
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(job, key, fail_attempts)
}  // namespace

TEST_CASE("stress: 100,000 runs, 100 keys, failures, retries, cancels and delays") {
    constexpr int runs = 100'000;
    constexpr int keys = 100;
    constexpr int key_limit = 2;
    constexpr int total_limit = 6;
    constexpr int max_attempts = 3;

    taskkit::registry reg;
    std::array<std::atomic<int>, keys> per_key{};
    std::array<std::atomic<int>, keys> per_key_peak{};
    std::atomic<int> total{0};
    std::atomic<int> total_peak{0};
    auto raise = [](std::atomic<int>& peak, int value) {
        int seen = peak.load();
        while (value > seen && !peak.compare_exchange_weak(seen, value)) {
        }
    };
    taskkit::task<job> t({.id = "stress",
                          .retry = {.max_attempts = max_attempts,
                                    .min_timeout = std::chrono::milliseconds(1),
                                    .max_timeout = std::chrono::milliseconds(2)},
                          .queue = {.concurrency_limit = key_limit, .total_concurrency_limit = total_limit},
                          .run =
                              [&](const job& j, taskkit::run_context& ctx) {
                                  raise(per_key_peak[j.key], ++per_key[j.key]);
                                  raise(total_peak, ++total);
                                  const bool fail = ctx.attempt().number <= j.fail_attempts;
                                  --per_key[j.key];
                                  --total;
                                  if (fail) throw std::runtime_error("injected failure");
                              }},
                         reg);
    auto opts = options(reg, 4);
    opts.random = [] {
        thread_local std::mt19937 engine{std::random_device{}()};
        return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    };
    opts.max_log_entries = 0;
    taskkit::runtime rt(opts);

    std::mutex mutex;
    std::unordered_map<std::string, int> terminal_events;
    terminal_events.reserve(runs);
    auto sub = rt.subscribe([&](const taskkit::status_event& e) {
        if (!taskkit::is_terminal(e.status)) return;
        std::lock_guard lock(mutex);
        ++terminal_events[std::string(e.run_id)];
    });

    std::vector<taskkit::run_handle<void>> handles(runs);
    auto trigger_range = [&](int from, int to, unsigned seed) {
        std::mt19937 rng(seed);
        for (int i = from; i < to; ++i) {
            const int key = static_cast<int>(rng() % keys);
            const job j{key, static_cast<int>(rng() % 5)};  // 0..4 failing attempts: some exhaust their 3
            taskkit::trigger_options o{.concurrency_key = "k" + std::to_string(key)};
            if (rng() % 10 == 0) o.delay = std::chrono::milliseconds(rng() % 5);
            handles[i] = rt.trigger(t, j, std::move(o));
            if (rng() % 20 == 0) handles[i].cancel();
        }
    };
    std::thread a(trigger_range, 0, runs / 2, 1u);
    std::thread b(trigger_range, runs / 2, runs, 2u);
    a.join();
    b.join();
    // Cancel some more while they run.
    for (int i = 0; i < runs; i += 97) handles[i].cancel();

    std::map<taskkit::run_status, int> outcomes;
    for (auto& h : handles) {
        REQUIRE(h.wait_for(std::chrono::seconds(120)));
        const auto record = h.snapshot();
        REQUIRE(taskkit::is_terminal(record.status));
        CHECK(record.attempts.size() <= static_cast<std::size_t>(max_attempts));
        ++outcomes[record.status];
    }
    REQUIRE(eventually(
        [&] {
            std::lock_guard lock(mutex);
            return terminal_events.size() == static_cast<std::size_t>(runs);
        },
        std::chrono::seconds(60)));
    {
        std::lock_guard lock(mutex);
        for (const auto& [id, count] : terminal_events) {
            if (count != 1) FAIL("run " << id << " reached a terminal status " << count << " times");
        }
    }
    for (int k = 0; k < keys; ++k) CHECK(per_key_peak[k].load() <= key_limit);
    CHECK(total_peak.load() <= total_limit);
    CHECK(outcomes[taskkit::run_status::completed] > 0);
    CHECK(outcomes[taskkit::run_status::failed] > 0);
    CHECK(outcomes[taskkit::run_status::canceled] > 0);
    int sum = 0;
    for (const auto& [status, n] : outcomes) sum += n;
    CHECK(sum == runs);
}
