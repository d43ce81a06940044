// Queues and machines: limits measured under load, shared queues, machine budgets.
#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;

namespace {
/// A little work that gives other threads a chance to overlap with it.
void busy() {
    for (int i = 0; i < 200; ++i) std::this_thread::yield();
}
}  // namespace

TEST_CASE("a queue's concurrency_limit bounds executing runs under load") {
    taskkit::registry reg;
    peak_counter counter;
    const int limit = GENERATE(1, 3);
    taskkit::task<int> t({.id = "limited",
                          .queue = {.concurrency_limit = limit},
                          .run =
                              [&](const int&) {
                                  counter.enter();
                                  busy();
                                  counter.leave();
                              }},
                         reg);
    taskkit::runtime rt(options(reg, 6));
    std::vector<taskkit::run_handle<void>> handles;
    for (int i = 0; i < 300; ++i) handles.push_back(rt.trigger(t, i));
    for (auto& h : handles) REQUIRE(h.wait_for(deadline));
    CHECK(counter.peak.load() <= limit);
    CHECK(counter.peak.load() >= 1);
    for (auto& h : handles) CHECK(h.status() == taskkit::run_status::completed);
}

TEST_CASE("without a limit, runs of one queue execute in parallel") {
    taskkit::registry reg;
    gate release;
    std::atomic<int> inside{0};
    taskkit::task<int> t({.id = "unbounded",
                          .run =
                              [&](const int&) {
                                  ++inside;
                                  release.wait();
                              }},
                         reg);
    taskkit::runtime rt(options(reg, 4));
    std::vector<taskkit::run_handle<void>> handles;
    for (int i = 0; i < 4; ++i) handles.push_back(rt.trigger(t, i));
    CHECK(eventually([&] { return inside == 4; }));
    release.open();
    for (auto& h : handles) REQUIRE(h.wait_for(deadline));
}

TEST_CASE("tasks naming one queue share its limit") {
    taskkit::registry reg;
    peak_counter counter;
    auto body = [&](const int&) {
        counter.enter();
        busy();
        counter.leave();
    };
    taskkit::task<int> a({.id = "emails-a", .queue = {.name = "emails", .concurrency_limit = 2}, .run = body}, reg);
    taskkit::task<int> b({.id = "emails-b", .queue = {.name = "emails"}, .run = body}, reg);
    taskkit::runtime rt(options(reg, 6));
    std::vector<taskkit::run_handle<void>> handles;
    for (int i = 0; i < 150; ++i) {
        handles.push_back(rt.trigger(a, i));
        handles.push_back(rt.trigger(b, i));
    }
    for (auto& h : handles) REQUIRE(h.wait_for(deadline));
    CHECK(counter.peak.load() <= 2);
    CHECK(handles.front().snapshot().queue == "emails");
}

TEST_CASE("runs waiting for a retry hold no slot") {
    taskkit::registry reg;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    std::atomic<int> first_attempts{0};
    taskkit::task<int> t({.id = "retry-slot",
                          .retry = {.max_attempts = 2,
                                    .min_timeout = std::chrono::hours(1),
                                    .max_timeout = std::chrono::hours(1),
                                    .randomize = false},
                          .queue = {.concurrency_limit = 1},
                          .run =
                              [&](const int& n, taskkit::run_context& ctx) {
                                  if (n == 0 && ctx.attempt().number == 1) {
                                      ++first_attempts;
                                      throw std::runtime_error("retry me later");
                                  }
                              }},
                         reg);
    taskkit::runtime rt(options(reg, 2, clock));
    auto failing = rt.trigger(t, 0);
    REQUIRE(eventually([&] { return failing.status() == taskkit::run_status::retrying; }));
    // The queue's only slot is free while the first run waits an hour for its retry.
    auto other = rt.trigger(t, 1);
    REQUIRE(other.wait_for(deadline));
    CHECK(other.status() == taskkit::run_status::completed);
    CHECK(failing.status() == taskkit::run_status::retrying);
    clock->advance(std::chrono::hours(1));
    REQUIRE(failing.wait_for(deadline));
    CHECK(failing.status() == taskkit::run_status::completed);
}

TEST_CASE("the machine budget bounds how many runs execute at once") {
    taskkit::registry reg;
    peak_counter counter;
    // capacity 2 cpu: at most two medium-1x (1 cpu) runs at once, on 6 workers.
    taskkit::task<int> t({.id = "medium",
                          .machine = taskkit::machines::medium_1x,
                          .run =
                              [&](const int&) {
                                  counter.enter();
                                  busy();
                                  counter.leave();
                              }},
                         reg);
    auto opts = options(reg, 6);
    opts.capacity = taskkit::machine{.cpu = 2, .memory = 64};
    taskkit::runtime rt(opts);
    std::vector<taskkit::run_handle<void>> handles;
    for (int i = 0; i < 200; ++i) handles.push_back(rt.trigger(t, i));
    for (auto& h : handles) REQUIRE(h.wait_for(deadline));
    CHECK(counter.peak.load() <= 2);
    CHECK(counter.peak.load() >= 1);
}

TEST_CASE("a large run waits for its machine, small ones do not overtake it forever") {
    taskkit::registry reg;
    peak_counter counter;
    std::atomic<double> cpu_in_use{0};
    std::atomic<bool> over_budget{false};
    auto body = [&](const int&, taskkit::run_context& ctx) {
        const double now = cpu_in_use.fetch_add(ctx.machine().cpu) + ctx.machine().cpu;
        if (now > 4.0 + 1e-9) over_budget = true;
        busy();
        cpu_in_use.fetch_sub(ctx.machine().cpu);
    };
    taskkit::task<int> big({.id = "big", .machine = taskkit::machines::medium_2x, .run = body}, reg);     // 2 cpu
    taskkit::task<int> small({.id = "small", .machine = taskkit::machines::small_2x, .run = body}, reg);  // 1 cpu
    auto opts = options(reg, 6);
    opts.capacity = taskkit::machine{.cpu = 4, .memory = 64};
    taskkit::runtime rt(opts);
    std::vector<taskkit::run_handle<void>> handles;
    for (int i = 0; i < 100; ++i) {
        handles.push_back(rt.trigger(small, i));
        if (i % 10 == 0) handles.push_back(rt.trigger(big, i));
    }
    for (auto& h : handles) REQUIRE(h.wait_for(deadline));
    CHECK_FALSE(over_budget.load());
}

TEST_CASE("a task that declares no machine is not held back by the budget, only by workers and queues") {
    taskkit::registry reg;
    constexpr int runs = 20;
    std::atomic<int> executing{0};
    std::atomic<int> peak{0};
    gate all_in;
    // I/O-bound work: each run waits until all 20 execute at once (a budget would allow 2).
    taskkit::task<int> io({.id = "io",
                           .run =
                               [&](const int&) {
                                   const int now = ++executing;
                                   int seen = peak.load();
                                   while (now > seen && !peak.compare_exchange_weak(seen, now)) {
                                   }
                                   if (now == runs) all_in.open();
                                   all_in.wait(std::chrono::seconds(20));
                                   --executing;
                               }},
                          reg);
    auto opts = options(reg, runs);
    opts.capacity = taskkit::machine{.cpu = 1, .memory = 1};
    taskkit::runtime rt(opts);
    std::vector<taskkit::run_handle<void>> handles;
    for (int i = 0; i < runs; ++i) handles.push_back(rt.trigger(io, i));
    for (auto& h : handles) REQUIRE(h.wait_for(deadline));
    CHECK(peak.load() == runs);
    CHECK(handles.front().snapshot().machine_spec == taskkit::machines::none);
}

TEST_CASE("a trigger's machine budgets a run of a task that declares none") {
    taskkit::registry reg;
    peak_counter counter;
    taskkit::task<int> t({.id = "sometimes-heavy",
                          .run =
                              [&](const int&) {
                                  counter.enter();
                                  busy();
                                  counter.leave();
                              }},
                         reg);
    auto opts = options(reg, 6);
    opts.capacity = taskkit::machine{.cpu = 2, .memory = 64};
    taskkit::runtime rt(opts);
    std::vector<taskkit::run_handle<void>> handles;
    for (int i = 0; i < 100; ++i) handles.push_back(rt.trigger(t, i, {.machine = taskkit::machines::medium_1x}));
    for (auto& h : handles) REQUIRE(h.wait_for(deadline));
    CHECK(counter.peak.load() <= 2);
}
