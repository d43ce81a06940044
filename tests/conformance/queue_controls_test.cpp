// Conformance: queue controls — a queue's counts, pause and resume, limit overrides, and unknown
// queue names — on every backend.
#include <algorithm>
#include <vector>

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

taskkit::queue_stats stats_of(taskkit::runtime& rt, std::string_view name) {
    auto found = rt.queues().find(name);
    REQUIRE(found);
    return *found;
}

int count_status(const std::vector<taskkit::run_handle<void>>& hs, run_status status) {
    return static_cast<int>(std::count_if(hs.begin(), hs.end(), [&](const auto& h) { return h.status() == status; }));
}
}  // namespace

TEMPLATE_LIST_TEST_CASE("conformance: queues lists every declared queue with its limits and counts", "[conformance]",
                        conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int> limited(
        {.id = "limited", .queue = {.name = "emails", .concurrency_limit = 2}, .run = [](const int&) {}}, reg);
    taskkit::task<int> own({.id = "own", .run = [](const int&) {}}, reg);
    taskkit::queue rated({.name = "rated", .rate_limit = taskkit::rate_limit{.limit = 5, .period = 1s}}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();

    auto all = rt.queues().list();
    std::vector<std::string> names;
    for (const auto& q : all) names.push_back(q.name);
    CHECK(names == std::vector<std::string>{"emails", "own", "rated"});

    auto emails = stats_of(rt, "emails");
    CHECK(emails.limit == 2);
    CHECK(emails.declared_limit == 2);
    CHECK_FALSE(emails.limit_overridden);
    CHECK_FALSE(emails.paused);
    CHECK(emails.queued == 0);
    CHECK(emails.executing == 0);
    REQUIRE(stats_of(rt, "rated").rate);
    CHECK(stats_of(rt, "rated").rate->limit == 5);
    CHECK_FALSE(rt.queues().find("nowhere"));

    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 5; ++i) hs.push_back(rt.trigger(limited, i));
    hs.push_back(rt.trigger(limited, 99, {.delay = 1h}));
    CHECK(stats_of(rt, "emails").queued == 5);  // the delayed run is not counted
    h.run_until_idle();
    CHECK(count_status(hs, run_status::completed) == 6);
    CHECK(stats_of(rt, "emails").queued == 0);
}

TEMPLATE_LIST_TEST_CASE("conformance: a paused queue starts nothing until resumed, and other queues go on",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int> paused_task({.id = "paused-task", .queue = {.name = "q"}, .run = [](const int&) {}}, reg);
    taskkit::task<int> other({.id = "other", .run = [](const int&) {}}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();

    rt.queues().pause("q");
    rt.queues().pause("q");  // pausing a paused queue does nothing
    CHECK(stats_of(rt, "q").paused);
    std::vector<taskkit::run_handle<void>> held;
    for (int i = 0; i < 4; ++i) held.push_back(rt.trigger(paused_task, i));
    auto free_run = rt.trigger(other, 1);
    h.run_until_idle();
    CHECK(free_run.status() == run_status::completed);
    CHECK(count_status(held, run_status::queued) == 4);
    CHECK(stats_of(rt, "q").queued == 4);

    rt.queues().resume("q");
    CHECK_FALSE(stats_of(rt, "q").paused);
    h.run_until_idle();
    CHECK(count_status(held, run_status::completed) == 4);
}

TEMPLATE_LIST_TEST_CASE("conformance: a queue paused before any run used it is known by its declaration",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    taskkit::queue declared({.name = "declared", .concurrency_limit = 3}, reg);
    taskkit::task<int> t({.id = "t", .queue = {.name = "declared"}, .run = [](const int&) {}}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    rt.queues().pause("declared");
    auto run = rt.trigger(t, 1);
    h.run_until_idle();
    CHECK(run.status() == run_status::queued);
    rt.queues().resume("declared");
    h.run_until_idle();
    CHECK(run.status() == run_status::completed);
}

TEMPLATE_LIST_TEST_CASE("conformance: unknown queues and bad limits are typed errors", "[conformance]",
                        conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int> t({.id = "t", .run = [](const int&) {}}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    CHECK_THROWS_AS(rt.queues().pause("nowhere"), taskkit::unknown_queue_error);
    CHECK_THROWS_AS(rt.queues().resume("nowhere"), taskkit::unknown_queue_error);
    CHECK_THROWS_AS(rt.queues().set_concurrency("nowhere", 2), taskkit::unknown_queue_error);
    CHECK_THROWS_AS(rt.queues().reset_concurrency("nowhere"), taskkit::unknown_queue_error);
    CHECK_THROWS_AS(rt.queues().set_concurrency("t", 0), taskkit::options_error);
    CHECK_THROWS_AS(rt.queues().set_concurrency("t", -3), taskkit::options_error);
    try {
        rt.queues().pause("nowhere");
    } catch (const taskkit::error& e) {
        CHECK(e.code() == taskkit::error_code::unknown_queue);
    }
    CHECK_FALSE(stats_of(rt, "t").limit_overridden);
}

TEMPLATE_LIST_TEST_CASE("conformance: a limit override bounds executing runs, and a reset restores the declared one",
                        "[conformance]", conformance::backends) {
    taskkit::registry reg;
    std::mutex mutex;
    int executing = 0;
    int peak = 0;
    std::atomic<bool> release{false};
    taskkit::task<int> t({.id = "limited",
                          .queue = {.concurrency_limit = 1},
                          .run =
                              [&](const int&) {
                                  {
                                      std::lock_guard lock(mutex);
                                      peak = std::max(peak, ++executing);
                                  }
                                  while (!release.load()) std::this_thread::yield();
                                  std::lock_guard lock(mutex);
                                  --executing;
                              }},
                         reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 6));
    rt.queues().set_concurrency("limited", 3);
    auto q = stats_of(rt, "limited");
    CHECK(q.limit == 3);
    CHECK(q.declared_limit == 1);
    CHECK(q.limit_overridden);

    std::vector<taskkit::run_handle<void>> hs;
    for (int i = 0; i < 9; ++i) hs.push_back(rt.trigger(t, i));
    // Three start at once (the override), never more.
    REQUIRE(eventually([&] { return stats_of(rt, "limited").executing == 3; }));
    CHECK(stats_of(rt, "limited").queued == 6);
    // Raising it again starts more at once, while the first three still execute.
    rt.queues().set_concurrency("limited", 5);
    REQUIRE(eventually([&] { return stats_of(rt, "limited").executing == 5; }));
    // The five are inside the run function before any is let go (a claimed run may not have
    // entered it yet when its status says executing).
    REQUIRE(eventually([&] {
        std::lock_guard lock(mutex);
        return executing == 5;
    }));
    rt.queues().reset_concurrency("limited");
    CHECK(stats_of(rt, "limited").limit == 1);
    CHECK_FALSE(stats_of(rt, "limited").limit_overridden);
    release = true;
    for (auto& h : hs) REQUIRE(h.wait_for(deadline));
    for (auto& h : hs) CHECK(h.status() == run_status::completed);
    std::lock_guard lock(mutex);
    CHECK(peak == 5);
}

TEMPLATE_LIST_TEST_CASE("conformance: queue stats count runs per concurrency key", "[conformance]",
                        conformance::backends) {
    taskkit::registry reg;
    taskkit::task<keyed> t({.id = "per-user", .queue = {.concurrency_limit = 1}, .run = [](const keyed&) {}}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    for (int i = 0; i < 3; ++i) (void)rt.trigger(t, {"ada", i}, {.concurrency_key = "ada"});
    (void)rt.trigger(t, {"bob", 0}, {.concurrency_key = "bob"});
    auto q = stats_of(rt, "per-user");
    CHECK(q.queued == 4);
    REQUIRE(q.keys.size() == 2);
    CHECK(q.keys[0].key == "ada");
    CHECK(q.keys[0].queued == 3);
    CHECK(q.keys[1].key == "bob");
    CHECK(q.keys[1].queued == 1);
    h.run_until_idle();
    CHECK(stats_of(rt, "per-user").keys.empty());
}
