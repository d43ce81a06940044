// Concurrency keys, the total cap across keys, fair rotation between keys, rate limits.
#include <map>

#include <taskkit/testing.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;

namespace {
struct keyed {
    std::string user;
    int n = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(keyed, user, n)

/// Counts executing runs per key and in all, remembering the peaks.
struct key_peaks {
    std::mutex mutex;
    std::map<std::string, int> now;
    std::map<std::string, int> peak;
    int total = 0;
    int total_peak = 0;
    void enter(const std::string& key) {
        std::lock_guard lock(mutex);
        peak[key] = std::max(peak[key], ++now[key]);
        total_peak = std::max(total_peak, ++total);
    }
    void leave(const std::string& key) {
        std::lock_guard lock(mutex);
        --now[key];
        --total;
    }
};

void some_work() {
    for (int i = 0; i < 100; ++i) std::this_thread::yield();
}
}  // namespace

TEST_CASE("each concurrency key gets its own copy of the queue's limit, and the total cap holds") {
    taskkit::registry reg;
    key_peaks peaks;
    std::atomic<int> wrong_keys{0};  // assertions stay on the test's thread (Catch2 is not thread-safe)
    taskkit::task<keyed> t({.id = "per-user",
                            .queue = {.concurrency_limit = 2, .total_concurrency_limit = 5},
                            .run =
                                [&](const keyed& k, taskkit::run_context& ctx) {
                                    if (ctx.queue().concurrency_key != k.user) ++wrong_keys;
                                    peaks.enter(k.user);
                                    some_work();
                                    peaks.leave(k.user);
                                }},
                           reg);
    taskkit::runtime rt(options(reg, 8));
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 1000; ++i) {
        const std::string user = "user_" + std::to_string(i % 50);
        hs.push_back(rt.trigger(t, {user, i}, {.concurrency_key = user}));
    }
    for (auto& h : hs) REQUIRE(h.wait_for(deadline));
    for (const auto& [key, peak] : peaks.peak) {
        INFO("key " << key);
        CHECK(peak <= 2);
    }
    CHECK(peaks.total_peak <= 5);
    CHECK(peaks.total_peak >= 2);  // keys really ran side by side
    CHECK(wrong_keys == 0);
}

TEST_CASE("without a total cap, many keys run in parallel up to the workers") {
    taskkit::registry reg;
    gate release;
    std::atomic<int> inside{0};
    taskkit::task<keyed> t({.id = "one-per-user",
                            .queue = {.concurrency_limit = 1},
                            .run =
                                [&](const keyed&) {
                                    ++inside;
                                    release.wait();
                                }},
                           reg);
    taskkit::runtime rt(options(reg, 4));
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 4; ++i)
        hs.push_back(rt.trigger(t, {"u" + std::to_string(i), i}, {.concurrency_key = "u" + std::to_string(i)}));
    hs.push_back(rt.trigger(t, {"u0", 9}, {.concurrency_key = "u0"}));  // waits for u0's first run
    REQUIRE(eventually([&] { return inside == 4; }));
    CHECK(hs[4].status() == taskkit::run_status::queued);
    release.open();
    for (auto& h : hs) REQUIRE(h.wait_for(deadline));
}

TEST_CASE("fair rotation: a small key's runs start within its share, not after a big key's backlog") {
    taskkit::registry reg;
    std::mutex mutex;
    std::vector<std::string> start_order;
    gate release;
    gate first_started;
    taskkit::task<keyed> t({.id = "fair",
                            .queue = {.concurrency_limit = 1, .total_concurrency_limit = 1},
                            .run =
                                [&](const keyed& k) {
                                    if (k.user == "gate") {
                                        first_started.open();
                                        release.wait();
                                        return;
                                    }
                                    std::lock_guard lock(mutex);
                                    start_order.push_back(k.user);
                                }},
                           reg);
    taskkit::runtime rt(options(reg, 2));
    auto blocker = rt.trigger(t, {"gate", 0}, {.concurrency_key = "gate"});
    REQUIRE(first_started.wait());
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 10000; ++i) hs.push_back(rt.trigger(t, {"big", i}, {.concurrency_key = "big"}));
    for (int i = 0; i < 10; ++i) hs.push_back(rt.trigger(t, {"small", i}, {.concurrency_key = "small"}));
    release.open();
    for (auto& h : hs) REQUIRE(h.wait_for(deadline));
    std::lock_guard lock(mutex);
    REQUIRE(start_order.size() == 10010);
    // With two keys taking turns, the small key's 10th run starts by position 20.
    std::vector<std::size_t> small_positions;
    for (std::size_t i = 0; i < start_order.size(); ++i)
        if (start_order[i] == "small") small_positions.push_back(i);
    REQUIRE(small_positions.size() == 10);
    CHECK(small_positions.back() < 21);
}

TEST_CASE("a queue rate limit: starts in any window never exceed N, runs beyond wait, none is dropped") {
    taskkit::registry reg;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    std::mutex mutex;
    std::vector<taskkit::time_point> starts;
    taskkit::task<int> t({.id = "rated",
                          .queue = {.rate_limit = taskkit::rate_limit{.limit = 3, .period = std::chrono::seconds(10)}},
                          .run =
                              [&](const int&, taskkit::run_context& ctx) {
                                  std::lock_guard lock(mutex);
                                  starts.push_back(ctx.attempt().started_at);
                              }},
                         reg);
    taskkit::runtime rt(options(reg, 2, clock));
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 10; ++i) hs.push_back(rt.trigger(t, i));
    auto started = [&] {
        std::lock_guard lock(mutex);
        return starts.size();
    };
    REQUIRE(eventually([&] { return started() == 3; }));
    CHECK_FALSE(hs[3].wait_for(std::chrono::milliseconds(20)));
    CHECK(hs[3].status() == taskkit::run_status::queued);
    for (int step = 0; step < 4; ++step) {
        clock->advance(std::chrono::seconds(10));
        const std::size_t expected = std::min<std::size_t>(10, 3 * (step + 2));
        REQUIRE(eventually([&] { return started() == expected; }));
    }
    for (auto& h : hs) REQUIRE(h.wait_for(deadline));
    std::lock_guard lock(mutex);
    std::sort(starts.begin(), starts.end());
    for (std::size_t i = 3; i < starts.size(); ++i) CHECK(starts[i] - starts[i - 3] >= std::chrono::seconds(10));
}

TEST_CASE("a per-key rate limit applies to each key on its own") {
    taskkit::registry reg;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    std::mutex mutex;
    std::map<std::string, int> started;
    taskkit::task<keyed> t(
        {.id = "key-rated",
         .queue = {.key_rate_limit = taskkit::rate_limit{.limit = 2, .period = std::chrono::minutes(1)}},
         .run =
             [&](const keyed& k) {
                 std::lock_guard lock(mutex);
                 ++started[k.user];
             }},
        reg);
    taskkit::runtime rt(options(reg, 2, clock));
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 5; ++i) {
        hs.push_back(rt.trigger(t, {"a", i}, {.concurrency_key = "a"}));
        hs.push_back(rt.trigger(t, {"b", i}, {.concurrency_key = "b"}));
    }
    auto count = [&](const std::string& k) {
        std::lock_guard lock(mutex);
        return started[k];
    };
    REQUIRE(eventually([&] { return count("a") == 2 && count("b") == 2; }));
    CHECK_FALSE(hs[4].wait_for(std::chrono::milliseconds(20)));
    clock->advance(std::chrono::minutes(1));
    REQUIRE(eventually([&] { return count("a") == 4 && count("b") == 4; }));
    clock->advance(std::chrono::minutes(1));
    for (auto& h : hs) REQUIRE(h.wait_for(deadline));
    CHECK(count("a") == 5);
}

TEST_CASE("bad queue options are refused at definition") {
    taskkit::registry reg;
    CHECK_THROWS_AS(
        taskkit::task<int>(
            {.id = "r0", .queue = {.rate_limit = taskkit::rate_limit{.limit = 0}}, .run = [](const int&) {}}, reg),
        taskkit::options_error);
    CHECK_THROWS_AS(
        taskkit::task<int>({.id = "r1", .queue = {.total_concurrency_limit = -2}, .run = [](const int&) {}}, reg),
        taskkit::options_error);
    CHECK(reg.ids().empty());
}

TEST_CASE("a key's rate window outlives the key's idle moments") {
    taskkit::registry reg;
    taskkit::task<keyed> t(
        {.id = "idle-key-rated",
         .queue = {.key_rate_limit = taskkit::rate_limit{.limit = 2, .period = std::chrono::minutes(1)}},
         .run = [](const keyed&) {}},
        reg);
    taskkit::testing::harness h({.registry = &reg});
    auto first = h.runtime().trigger(t, {"a", 0}, {.concurrency_key = "a"});
    h.advance(std::chrono::seconds(1));  // runs, and the key goes idle
    REQUIRE(first.status() == taskkit::run_status::completed);
    auto second = h.runtime().trigger(t, {"a", 1}, {.concurrency_key = "a"});
    auto third = h.runtime().trigger(t, {"a", 2}, {.concurrency_key = "a"});
    h.advance(std::chrono::seconds(1));
    CHECK(second.status() == taskkit::run_status::completed);
    CHECK(third.status() == taskkit::run_status::queued);  // a third start within the minute waits
    h.advance(std::chrono::minutes(1));
    CHECK(third.status() == taskkit::run_status::completed);
}
