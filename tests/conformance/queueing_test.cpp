// Conformance: queue limits, concurrency keys, total caps, fair rotation, rate limits, priority,
// and the machine budget — what a backend's claim must honour.
#include <map>

#include "conformance.hpp"

using namespace taskkit_test;
using namespace std::chrono_literals;
using taskkit::run_status;

namespace {
struct keyed {
    std::string user;
    int n = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(keyed, user, n)

/// Executing runs per key and in all, with their peaks.
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
    for (int i = 0; i < 200; ++i) std::this_thread::yield();
}
}  // namespace

TEMPLATE_LIST_TEST_CASE("conformance: a queue's concurrency_limit bounds executing runs", "[conformance]",
                        conformance::backends) {
    taskkit::registry reg;
    peak_counter counter;
    taskkit::task<int> t({.id = "limited",
                          .queue = {.concurrency_limit = 3},
                          .run =
                              [&](const int&) {
                                  counter.enter();
                                  some_work();
                                  counter.leave();
                              }},
                         reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 6));
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 300; ++i) hs.push_back(rt.trigger(t, i));
    for (auto& h : hs) REQUIRE(h.wait_for(deadline));
    CHECK(counter.peak.load() <= 3);
    CHECK(counter.peak.load() >= 1);
    for (auto& h : hs) CHECK(h.status() == run_status::completed);
}

TEMPLATE_LIST_TEST_CASE("conformance: each key gets the full limit, and the total cap holds across keys",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    key_peaks peaks;
    taskkit::task<keyed> t({.id = "per-user",
                            .queue = {.concurrency_limit = 2, .total_concurrency_limit = 5},
                            .run =
                                [&](const keyed& k) {
                                    peaks.enter(k.user);
                                    some_work();
                                    peaks.leave(k.user);
                                }},
                           reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 8));
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 600; ++i) {
        const std::string user = "user_" + std::to_string(i % 30);
        hs.push_back(rt.trigger(t, {user, i}, {.concurrency_key = user}));
    }
    for (auto& h : hs) REQUIRE(h.wait_for(deadline));
    std::lock_guard lock(peaks.mutex);
    for (const auto& [key, peak] : peaks.peak) CHECK(peak <= 2);
    CHECK(peaks.total_peak <= 5);
    CHECK(hs.front().snapshot().concurrency_key == "user_0");
}

TEMPLATE_LIST_TEST_CASE("conformance: fair rotation between keys: a small key is not starved by a big one",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::mutex mutex;
    std::vector<std::string> order;
    taskkit::task<keyed> t({.id = "fair",
                            .queue = {.concurrency_limit = 1, .total_concurrency_limit = 1},
                            .run =
                                [&](const keyed& k) {
                                    std::lock_guard lock(mutex);
                                    order.push_back(k.user);
                                }},
                           reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 200; ++i) hs.push_back(h.runtime().trigger(t, {"big", i}, {.concurrency_key = "big"}));
    for (int i = 0; i < 10; ++i) hs.push_back(h.runtime().trigger(t, {"small", i}, {.concurrency_key = "small"}));
    h.run_until_idle();
    REQUIRE(order.size() == 210);
    // Keys take turns: the small key's tenth run starts among the first 21.
    int small_seen = 0;
    std::size_t tenth = 0;
    for (std::size_t i = 0; i < order.size(); ++i)
        if (order[i] == "small" && ++small_seen == 10) tenth = i;
    CHECK(tenth < 21);
}

TEMPLATE_LIST_TEST_CASE("conformance: a queue rate limit: no window holds more starts than the limit", "[conformance]",
                        conformance::backends) {
    taskkit::registry reg;
    std::mutex mutex;
    std::vector<taskkit::time_point> starts;
    taskkit::task<int> t({.id = "rated",
                          .queue = {.rate_limit = taskkit::rate_limit{.limit = 3, .period = 1s}},
                          .run =
                              [&](const int&, taskkit::run_context& ctx) {
                                  std::lock_guard lock(mutex);
                                  starts.push_back(ctx.now());
                              }},
                         reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 10; ++i) hs.push_back(h.runtime().trigger(t, i));
    h.run_until_idle();
    for (auto& handle : hs) CHECK(handle.status() == run_status::completed);  // none is dropped
    REQUIRE(starts.size() == 10);
    for (std::size_t i = 3; i < starts.size(); ++i) CHECK(starts[i] - starts[i - 3] >= 1s);
}

TEMPLATE_LIST_TEST_CASE("conformance: a per-key rate limit applies to each key alone", "[conformance]",
                        conformance::backends) {
    taskkit::registry reg;
    std::mutex mutex;
    std::map<std::string, std::vector<taskkit::time_point>> starts;
    taskkit::task<keyed> t({.id = "key-rated",
                            .queue = {.key_rate_limit = taskkit::rate_limit{.limit = 2, .period = 1min}},
                            .run =
                                [&](const keyed& k, taskkit::run_context& ctx) {
                                    std::lock_guard lock(mutex);
                                    starts[k.user].push_back(ctx.now());
                                }},
                           reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    const auto t0 = h.clock().now();
    for (int i = 0; i < 4; ++i)
        for (const char* user : {"a", "b"}) (void)h.runtime().trigger(t, {user, i}, {.concurrency_key = user});
    h.run_until_idle();
    for (const char* user : {"a", "b"}) {
        const auto& s = starts[user];
        REQUIRE(s.size() == 4);
        CHECK(s[0] == t0);
        CHECK(s[1] == t0);  // each key has its own window: both start at once
        CHECK(s[2] - s[0] >= 1min);
        CHECK(s[3] - s[1] >= 1min);
    }
}

TEMPLATE_LIST_TEST_CASE("conformance: priority starts a run ahead of runs triggered up to that many seconds earlier",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::vector<int> order;
    taskkit::task<int> t(
        {.id = "prio", .queue = {.concurrency_limit = 1}, .run = [&](const int& n) { order.push_back(n); }}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    (void)h.runtime().trigger(t, 1);
    h.clock().advance(1s);
    (void)h.runtime().trigger(t, 2);
    (void)h.runtime().trigger(t, 3, {.priority = 10});  // ahead of both
    (void)h.runtime().trigger(t, 4, {.priority = 0});
    h.run_until_idle();
    CHECK(order == std::vector<int>{3, 1, 2, 4});
}

TEMPLATE_LIST_TEST_CASE("conformance: the machine budget bounds budgeted runs, and unbudgeted ones pass by",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    peak_counter heavy_peak;
    taskkit::task<int> heavy({.id = "heavy",
                              .machine = taskkit::machines::medium_1x,
                              .run =
                                  [&](const int&) {
                                      heavy_peak.enter();
                                      some_work();
                                      heavy_peak.leave();
                                  }},
                             reg);
    std::atomic<int> light_runs{0};
    taskkit::task<int> light({.id = "light", .run = [&](const int&) { ++light_runs; }}, reg);
    auto opts = conformance::options<TestType>(reg, 6);
    opts.capacity = taskkit::machine{.cpu = 2, .memory = 64};
    taskkit::runtime rt(opts);
    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 100; ++i) {
        hs.push_back(rt.trigger(heavy, i));
        hs.push_back(rt.trigger(light, i));
    }
    for (auto& h : hs) REQUIRE(h.wait_for(deadline));
    CHECK(heavy_peak.peak.load() <= 2);
    CHECK(light_runs == 100);
}
