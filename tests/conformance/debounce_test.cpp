// Conformance: debounce — triggers of one task with the same debounce key collapse into one
// delayed run whose start moves back with each trigger (never past max_delay after the first);
// every caller gets that run's id; leading keeps the first payload and trailing the last; a run
// that left 'delayed' starts a new window; idempotency keys answer first. On the virtual clock,
// with triggers from several threads at once.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "conformance.hpp"

using namespace taskkit_test;
using namespace std::chrono_literals;
using taskkit::run_status;

namespace {

/// A task recording the payloads its attempts ran with.
struct recorder {
    std::mutex mutex;
    std::vector<std::string> payloads;

    void add(const std::string& p) {
        std::lock_guard lock(mutex);
        payloads.push_back(p);
    }
    std::vector<std::string> seen() {
        std::lock_guard lock(mutex);
        return payloads;
    }
};

taskkit::trigger_options debounced(std::string key, taskkit::debounce_mode mode,
                                   std::optional<std::chrono::milliseconds> max_delay = std::nullopt) {
    return {.debounce = {.key = std::move(key), .delay = 5s, .max_delay = max_delay, .mode = mode}};
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("conformance: debounced triggers collapse into one run that starts after the last one",
                        "[conformance][debounce]", conformance::backends) {
    const auto mode = GENERATE(taskkit::debounce_mode::leading, taskkit::debounce_mode::trailing);
    CAPTURE(taskkit::to_string(mode));
    taskkit::registry reg;
    recorder seen;
    taskkit::task<std::string, std::string> reindex({.id = "reindex",
                                                     .run =
                                                         [&](const std::string& p) {
                                                             seen.add(p);
                                                             return "indexed " + p;
                                                         }},
                                                    reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    const auto start = rt.clock()->now();

    auto first = rt.trigger(reindex, "a", debounced("user-42", mode));
    CHECK_FALSE(first.is_cached());
    CHECK(first.status() == run_status::delayed);
    CHECK(first.snapshot().run_at == start + 5s);
    h.advance(2s);
    auto second = rt.trigger(reindex, "b", debounced("user-42", mode));
    h.advance(2s);
    auto third = rt.trigger(reindex, "c", debounced("user-42", mode));
    CHECK(second.id() == first.id());
    CHECK(third.id() == first.id());
    CHECK(third.is_cached());
    CHECK(first.snapshot().run_at == start + 9s);  // 5 s after the last trigger
    CHECK(first.status() == run_status::delayed);

    h.advance(4s);  // 8 s: not yet
    CHECK(seen.seen().empty());
    h.advance(1s);  // 9 s
    REQUIRE(first.status() == run_status::completed);
    const std::string expected = mode == taskkit::debounce_mode::trailing ? "c" : "a";
    CHECK(seen.seen() == std::vector<std::string>{expected});
    CHECK(*first.snapshot().started_at == start + 9s);
    CHECK(third.get() == "indexed " + expected);
    CHECK(rt.retrieve(first.id())->payload == expected);
    CHECK(rt.list({.tasks = {"reindex"}}).runs.size() == 1);

    // The run ended: the key starts a new window, a new run.
    auto next = rt.trigger(reindex, "d", debounced("user-42", mode));
    CHECK(next.id() != first.id());
    CHECK_FALSE(next.is_cached());
    h.run_until_idle();
    CHECK(next.get() == "indexed d");
}

TEMPLATE_LIST_TEST_CASE("conformance: a debounced run starts no later than max_delay after the first trigger",
                        "[conformance][debounce]", conformance::backends) {
    taskkit::registry reg;
    recorder seen;
    taskkit::task<std::string> t({.id = "capped", .run = [&](const std::string& p) { seen.add(p); }}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    const auto start = rt.clock()->now();
    const auto opts = debounced("k", taskkit::debounce_mode::trailing, 12s);

    auto first = rt.trigger(t, "0", opts);
    h.advance(4s);
    CHECK(rt.trigger(t, "4", opts).id() == first.id());
    CHECK(first.snapshot().run_at == start + 9s);
    h.advance(4s);
    CHECK(rt.trigger(t, "8", opts).id() == first.id());
    CHECK(first.snapshot().run_at == start + 12s);  // 13 s would pass the cap
    h.advance(3s);
    CHECK(rt.trigger(t, "11", opts).id() == first.id());
    CHECK(first.snapshot().run_at == start + 12s);
    h.advance(1s);  // 12 s: due, whatever triggers came
    REQUIRE(first.status() == run_status::completed);
    CHECK(*first.snapshot().started_at == start + 12s);
    CHECK(seen.seen() == std::vector<std::string>{"11"});

    // A new window begins with the next trigger, measured from it.
    auto second = rt.trigger(t, "12", opts);
    CHECK(second.id() != first.id());
    CHECK(second.snapshot().run_at == start + 17s);
    h.run_until_idle();
    CHECK(seen.seen() == std::vector<std::string>{"11", "12"});
}

TEMPLATE_LIST_TEST_CASE("conformance: debounce keys are per task, and a run no longer delayed starts a new window",
                        "[conformance][debounce]", conformance::backends) {
    taskkit::registry reg;
    recorder seen;
    taskkit::task<std::string> a({.id = "deb-a", .run = [&](const std::string& p) { seen.add("a:" + p); }}, reg);
    taskkit::task<std::string> b({.id = "deb-b", .run = [&](const std::string& p) { seen.add("b:" + p); }}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    const auto opts = debounced("same", taskkit::debounce_mode::leading);

    auto ha = rt.trigger(a, "1", opts);
    auto hb = rt.trigger(b, "1", opts);
    auto other_key = rt.trigger(a, "2", debounced("other", taskkit::debounce_mode::leading));
    CHECK(ha.id() != hb.id());
    CHECK(other_key.id() != ha.id());
    auto plain = rt.trigger(a, "3");  // not debounced: its own run, at once
    CHECK(plain.id() != ha.id());

    // Canceled while delayed: the key no longer collapses into it.
    rt.cancel(ha.id());
    CHECK(ha.status() == run_status::canceled);
    auto after_cancel = rt.trigger(a, "4", opts);
    CHECK(after_cancel.id() != ha.id());
    CHECK(after_cancel.status() == run_status::delayed);
    h.run_until_idle();
    auto all = seen.seen();
    std::sort(all.begin(), all.end());
    CHECK(all == std::vector<std::string>{"a:2", "a:3", "a:4", "b:1"});
}

TEMPLATE_LIST_TEST_CASE("conformance: an idempotency key answers before debounce does", "[conformance][debounce]",
                        conformance::backends) {
    taskkit::registry reg;
    recorder seen;
    taskkit::task<std::string> t({.id = "deb-idem", .run = [&](const std::string& p) { seen.add(p); }}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();

    // A run holding the idempotency key answers, whatever the debounce key says.
    auto keyed = rt.trigger(t, "keyed", {.idempotency_key = "i", .delay = 1h});
    auto opts = debounced("d", taskkit::debounce_mode::trailing);
    opts.idempotency_key = "i";
    auto answer = rt.trigger(t, "ignored", opts);
    CHECK(answer.id() == keyed.id());
    CHECK(answer.is_cached());
    CHECK(rt.retrieve(keyed.id())->payload == "keyed");  // not replaced: debounce never ran

    // A debounced trigger whose idempotency key is new joins the window, and the key then answers
    // with the debounced run.
    auto window = rt.trigger(t, "w1", debounced("d", taskkit::debounce_mode::trailing));
    auto joined_opts = debounced("d", taskkit::debounce_mode::trailing);
    joined_opts.idempotency_key = "j";
    auto joined = rt.trigger(t, "w2", joined_opts);
    CHECK(joined.id() == window.id());
    CHECK(rt.trigger(t, "w3", {.idempotency_key = "j"}).id() == window.id());
    h.run_until_idle();
    auto all = seen.seen();
    std::sort(all.begin(), all.end());
    CHECK(all == std::vector<std::string>{"keyed", "w2"});
}

TEMPLATE_LIST_TEST_CASE("conformance: debounce options are checked", "[conformance][debounce]", conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int> t({.id = "deb-opts", .run = [](const int&) {}}, reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    CHECK_THROWS_AS(rt.trigger(t, 1, {.debounce = {.key = "", .delay = 5s}}), taskkit::options_error);
    CHECK_THROWS_AS(rt.trigger(t, 1, {.debounce = {.key = "k"}}), taskkit::options_error);
    CHECK_THROWS_AS(rt.trigger(t, 1, {.debounce = {.key = "k", .delay = -1s}}), taskkit::options_error);
    CHECK_THROWS_AS(rt.trigger(t, 1, {.debounce = {.key = "k", .delay = 5s, .max_delay = 4s}}), taskkit::options_error);
    CHECK_THROWS_AS(rt.trigger(t, 1, {.delay = 1min, .debounce = {.key = "k", .delay = 5s}}), taskkit::options_error);
    CHECK_THROWS_AS(rt.trigger(t, 1, {.debounce = {.key = "k", .delay = 5s, .mode = taskkit::debounce_mode{7}}}),
                    taskkit::options_error);
    CHECK_NOTHROW(rt.trigger(t, 1, {.debounce = {.key = "k", .delay = 5s, .max_delay = 5s}}));
    CHECK(rt.list({.tasks = {"deb-opts"}}).runs.size() == 1);
}

TEMPLATE_LIST_TEST_CASE("conformance: debounced triggers from several threads at once make one run per window",
                        "[conformance][debounce]", conformance::backends) {
    const auto mode = GENERATE(taskkit::debounce_mode::leading, taskkit::debounce_mode::trailing);
    CAPTURE(taskkit::to_string(mode));
    taskkit::registry reg;
    recorder seen;
    taskkit::task<std::string, std::string> t({.id = "deb-threads",
                                               .run =
                                                   [&](const std::string& p) {
                                                       seen.add(p);
                                                       return p;
                                                   }},
                                              reg);
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::runtime rt(conformance::options<TestType>(reg, 2, clock));
    const auto opts = debounced("burst", mode, 1min);

    for (int window = 0; window < 2; ++window) {
        const std::string w = std::to_string(window);
        auto first = rt.trigger(t, "first-" + w, opts);
        constexpr int threads = 6;
        constexpr int per_thread = 15;
        std::vector<std::string> ids(threads * per_thread);
        std::atomic<int> failures{0};
        {
            std::vector<std::jthread> pool;
            for (int i = 0; i < threads; ++i)
                pool.emplace_back([&, i] {
                    for (int j = 0; j < per_thread; ++j) {
                        try {
                            ids[static_cast<std::size_t>(i * per_thread + j)] =
                                rt.trigger(t, "t" + std::to_string(i) + "-" + std::to_string(j), opts).id();
                        } catch (...) {
                            ++failures;
                        }
                    }
                });
        }
        auto last = rt.trigger(t, "last-" + w, opts);
        CHECK(failures == 0);
        for (const auto& id : ids) CHECK(id == first.id());
        CHECK(last.id() == first.id());
        CHECK(first.status() == run_status::delayed);
        clock->advance(1min);  // past the cap: due whatever the last trigger's time
        REQUIRE(first.wait_for(deadline));
        CHECK(first.status() == run_status::completed);
        CHECK(first.get() == (mode == taskkit::debounce_mode::trailing ? "last-" : "first-") + w);
    }
    CHECK(rt.list({.tasks = {"deb-threads"}}).runs.size() == 2);
    CHECK(seen.seen().size() == 2);
}
