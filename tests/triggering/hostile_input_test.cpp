// Hostile input at the trigger and in the hooks: payloads nested without bound, numbers that do not
// fit their member, retry delays out of range, and a middleware's `next` called after its attempt.
#include <taskkit/testing.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;
using std::chrono::milliseconds;

namespace {

// `depth` arrays nested in one another, built without recursion (nlohmann's parser is iterative).
json nested_arrays(std::size_t depth) { return json::parse(std::string(depth, '[') + std::string(depth, ']')); }

// The message of the payload_error `trigger` throws (and that it is one, with its code).
std::string payload_error_text(const std::function<void()>& trigger) {
    try {
        trigger();
    } catch (const taskkit::payload_error& e) {
        CHECK(e.code() == taskkit::error_code::invalid_payload);
        return e.what();
    } catch (const std::exception& e) {
        FAIL("expected a payload_error, got: " << e.what());
    }
    FAIL("expected a payload_error, nothing was thrown");
    return {};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct numbers {
    int i = 0;
    unsigned u = 0;
    std::int64_t wide = 0;
    std::uint64_t uwide = 0;
    float f = 0;
    double d = 0;
    std::optional<int> maybe;
    std::vector<int> list;
};

// nlohmann 3.11 has no std::optional conversion: an empty `maybe` is null.
void to_json(json& j, const numbers& n) {
    j = json{{"i", n.i}, {"u", n.u}, {"wide", n.wide}, {"uwide", n.uwide}, {"f", n.f}, {"d", n.d}, {"list", n.list}};
    j["maybe"] = n.maybe ? json(*n.maybe) : json(nullptr);
}
void from_json(const json& j, numbers& n) {
    const numbers defaults;
    n.i = j.value("i", defaults.i);
    n.u = j.value("u", defaults.u);
    n.wide = j.value("wide", defaults.wide);
    n.uwide = j.value("uwide", defaults.uwide);
    n.f = j.value("f", defaults.f);
    n.d = j.value("d", defaults.d);
    n.list = j.value("list", defaults.list);
    if (auto it = j.find("maybe"); it != j.end() && !it->is_null()) {
        n.maybe = it->get<int>();
    } else {
        n.maybe.reset();
    }
}

struct outer {
    numbers inner;
    std::vector<numbers> rows;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(outer, inner, rows)

}  // namespace

// Item 1 of "reliability under hostile input": a 100,000-deep array crashed the process (a recursive
// copy while decoding), and a typed trigger's snapshot overflowed the stack.
TEST_CASE("a payload nested deeper than max_payload_depth is refused at the trigger by id and typed") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::task<json> echo({.id = "echo", .run = [&](const json&) { ++runs; }}, reg);
    taskkit::runtime rt(options(reg));
    const json deep = nested_arrays(100'000);

    SECTION("by id") {
        const auto text = payload_error_text([&] { (void)rt.trigger("echo", deep); });
        CHECK(contains(text, "payload for task 'echo'"));
        CHECK(contains(text, std::to_string(taskkit::max_payload_depth)));
    }
    SECTION("typed") {
        json copy_free = nested_arrays(100'000);
        const auto text = payload_error_text([&] { (void)rt.trigger(echo, std::move(copy_free)); });
        CHECK(contains(text, std::to_string(taskkit::max_payload_depth)));
    }
    SECTION("one level beyond the limit, inside an object") {
        json p = json::object();
        p["a"] = nested_arrays(taskkit::max_payload_depth);  // the object makes it one level deeper
        const auto text = payload_error_text([&] { (void)rt.trigger("echo", p); });
        CHECK(contains(text, "/a/0/0"));
    }
    CHECK(runs.load() == 0);
}

TEST_CASE("a payload exactly max_payload_depth deep is accepted and run and recorded") {
    taskkit::registry reg;
    taskkit::task<json, std::size_t> depth_of({.id = "depth-of",
                                               .run =
                                                   [](const json& p) {
                                                       std::size_t depth = 0;
                                                       for (const json* at = &p; at->is_array() && !at->empty();
                                                            at = &(*at)[0])
                                                           ++depth;
                                                       return depth + 1;
                                                   }},
                                              reg);
    taskkit::runtime rt(options(reg));
    const json limit = nested_arrays(taskkit::max_payload_depth);
    auto by_id = rt.trigger("depth-of", limit);
    auto typed = rt.trigger(depth_of, limit);
    REQUIRE(by_id.wait_for(deadline));
    REQUIRE(typed.wait_for(deadline));
    CHECK(by_id.get() == taskkit::max_payload_depth);
    CHECK(typed.get() == taskkit::max_payload_depth);
    CHECK(typed.snapshot().payload == limit);
}

TEST_CASE("json_depth_exceeds counts nested arrays and objects without recursing") {
    using taskkit::detail::json_depth_exceeds;
    CHECK_FALSE(json_depth_exceeds(json(1), 0));
    CHECK(json_depth_exceeds(json::array(), 0));
    CHECK_FALSE(json_depth_exceeds(json::array(), 1));
    CHECK_FALSE(json_depth_exceeds(json::parse(R"({"a": [1, {"b": 2}]})"), 3));
    std::string where;
    CHECK(json_depth_exceeds(json::parse(R"({"a": [1, {"b~/": []}]})"), 3, &where));
    CHECK(where == "/a/1/b~0~1");
    CHECK(json_depth_exceeds(nested_arrays(100'000), 99'999, &where));
    CHECK(where.size() == 2 * 99'999);
    CHECK_FALSE(json_depth_exceeds(nested_arrays(100'000), 100'000));
}

// Item 3: a huge factor or max_timeout made the delay negative (a run retried at once), and a huge
// handle_error delay overflowed the time it was added to.
TEST_CASE("retry delays stay between 0 and the smaller of max_timeout and max_retry_delay") {
    const auto huge =
        taskkit::retry_delay({.factor = 1e308, .max_timeout = milliseconds::max(), .randomize = false}, 2);
    REQUIRE(huge.has_value());
    CHECK(*huge == taskkit::max_retry_delay);
    CHECK(taskkit::max_retry_delay == std::chrono::duration_cast<milliseconds>(std::chrono::hours(24) * 36525));
    // Growth past a double's range, and a randomized one.
    CHECK(taskkit::retry_delay({.max_attempts = 5000, .factor = 10, .max_timeout = milliseconds::max()}, 4000, 0.5) ==
          taskkit::max_retry_delay);
    // Within max_timeout, the formula as before.
    CHECK(taskkit::retry_delay({.factor = 1e308, .max_timeout = std::chrono::hours(1), .randomize = false}, 2) ==
          std::chrono::hours(1));
    // 0 ms times an infinite growth is 0, not NaN.
    CHECK(taskkit::retry_delay({.max_attempts = 10,
                                .factor = 1e308,
                                .min_timeout = milliseconds(0),
                                .max_timeout = milliseconds::max(),
                                .randomize = false},
                               5) == milliseconds(0));
    // A random source outside [0, 1) (runtime_options::random is the user's) is clamped to it.
    const taskkit::retry_options jittered{.min_timeout = milliseconds(100), .max_timeout = milliseconds(1000)};
    CHECK(taskkit::retry_delay(jittered, 1, std::numeric_limits<double>::quiet_NaN()) == milliseconds(100));
    CHECK(taskkit::retry_delay(jittered, 1, -5.0) == milliseconds(100));
    CHECK(taskkit::retry_delay(jittered, 1, 1e300) == milliseconds(200));
    CHECK(taskkit::retry_delay(jittered, 1, std::numeric_limits<double>::infinity()) == milliseconds(200));
}

TEST_CASE("retry_options::validate refuses factors and timeouts out of range") {
    auto refused = [](taskkit::retry_options o) {
        try {
            o.validate();
        } catch (const taskkit::options_error& e) {
            CHECK(e.code() == taskkit::error_code::invalid_options);
            return true;
        }
        return false;
    };
    CHECK(refused({.factor = std::numeric_limits<double>::quiet_NaN()}));
    CHECK(refused({.factor = std::numeric_limits<double>::infinity()}));
    CHECK(refused({.factor = -2.0}));
    CHECK(refused({.factor = 0.0}));
    CHECK(refused({.min_timeout = milliseconds(-1)}));
    CHECK(refused({.min_timeout = milliseconds(2000), .max_timeout = milliseconds(1000)}));
    CHECK(refused({.max_attempts = 0}));
    CHECK_FALSE(refused({.factor = 1e308, .max_timeout = milliseconds::max()}));
}

TEST_CASE("a huge delay or retry time from handle_error is capped at max_retry_delay") {
    taskkit::registry reg;
    std::optional<taskkit::error_decision> decision;
    taskkit::task<json, int> flaky(
        {.id = "flaky-huge-delay",
         .retry = {.max_attempts = 2, .randomize = false},
         .run =
             [](const json&, taskkit::run_context& ctx) {
                 if (ctx.attempt().number == 1) throw std::runtime_error("once");
                 return ctx.attempt().number;
             },
         .handle_error = [&](const json&, const taskkit::error_info&, taskkit::run_context&) { return *decision; }},
        reg);
    SECTION("retry_delay = milliseconds::max()") {
        decision = taskkit::error_decision{.retry_delay = milliseconds::max()};
    }
    SECTION("retry_at = time_point::max()") {
        decision = taskkit::error_decision{.retry_at = taskkit::clock::time_point::max()};
    }
    auto run = taskkit::testing::run_inline(flaky, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::completed);
    REQUIRE(run.retry_delays.size() == 1);
    CHECK(run.retry_delays[0] == taskkit::max_retry_delay);
}

// Item 9: a middleware that kept a copy of `next` and called it after the attempt read the stack
// of a function that had returned.
TEST_CASE("a middleware's next called after its attempt throws state_error and touches nothing") {
    taskkit::registry reg;
    std::mutex mutex;
    std::function<void()> kept;
    std::atomic<int> runs{0};
    std::atomic<bool> call_next{true};
    auto t = std::make_unique<taskkit::task<json>>(
        taskkit::task_options<json>{.id = "keeps-next",
                                    .run = [&](const json&) { ++runs; },
                                    .middleware =
                                        [&](const json&, taskkit::run_context&, const std::function<void()>& next) {
                                            {
                                                std::lock_guard lock(mutex);
                                                kept = next;
                                            }
                                            if (call_next) next();
                                        }},
        reg);
    {
        taskkit::runtime rt(options(reg));
        SECTION("after next() ran") {
            auto h = rt.trigger(*t, json::object());
            REQUIRE(h.wait_for(deadline));
            CHECK(h.status() == taskkit::run_status::completed);
        }
        SECTION("when the middleware never called it") {
            call_next = false;
            auto h = rt.trigger(*t, json::object(), {.max_attempts = 1});
            REQUIRE(h.wait_for(deadline));
            CHECK(h.status() == taskkit::run_status::failed);
        }
    }
    t.reset();  // the task, its runtime and its run are gone; only the copy of next is left
    std::function<void()> late;
    {
        std::lock_guard lock(mutex);
        late = kept;
    }
    REQUIRE(late);
    try {
        late();
        FAIL("a late call of next() did not throw");
    } catch (const taskkit::state_error& e) {
        CHECK(contains(e.what(), "after"));
    }
    const int before = runs.load();
    CHECK_THROWS_AS(late(), taskkit::state_error);
    CHECK(runs.load() == before);
}

TEST_CASE("a middleware may call next from another thread while it waits") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::task<json, int> t({.id = "next-elsewhere",
                                .run = [&](const json&) { return ++runs; },
                                .middleware =
                                    [](const json&, taskkit::run_context&, const std::function<void()>& next) {
                                        std::thread other([&] { next(); });
                                        other.join();
                                    }},
                               reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(t, json::object());
    REQUIRE(h.wait_for(deadline));
    CHECK(h.get() == 1);
}

// Item 12: {"x": 1e30} decoded into an int member as -2147483648.
TEST_CASE("decoding by id refuses numbers that do not fit their member and names its JSON Pointer") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::task<outer> t({.id = "numbers", .run = [&](const outer&) { ++runs; }}, reg);
    taskkit::runtime rt(options(reg));
    auto refused = [&](const json& p, const std::string& pointer) {
        const auto text = payload_error_text([&] { (void)rt.trigger("numbers", p); });
        INFO(text);
        CHECK(contains(text, "payload for task 'numbers'"));
        CHECK(contains(text, pointer + ": "));
    };
    auto inner = [](const char* member, const json& value) { return json{{"inner", {{member, value}}}}; };

    refused(inner("i", 1e30), "/inner/i");
    refused(inner("i", -1e30), "/inner/i");
    refused(inner("i", 1.5), "/inner/i");
    refused(inner("i", 0.5), "/inner/i");
    refused(inner("i", 4294967296LL), "/inner/i");
    refused(inner("i", std::numeric_limits<std::uint64_t>::max()), "/inner/i");
    refused(inner("u", -1), "/inner/u");
    refused(inner("u", -1.0), "/inner/u");
    refused(inner("wide", 1e19), "/inner/wide");
    refused(inner("wide", std::numeric_limits<std::uint64_t>::max()), "/inner/wide");
    refused(inner("uwide", -1), "/inner/uwide");
    refused(inner("uwide", 1e20), "/inner/uwide");
    refused(inner("f", 1e300), "/inner/f");
    refused(inner("f", -1e300), "/inner/f");
    refused(inner("maybe", 1e30), "/inner/maybe");
    refused(inner("list", json::array({1, 2, 1e30})), "/inner/list/2");
    refused(json{{"rows", json::array({json::object(), {{"i", 2.5}}})}}, "/rows/1/i");
    CHECK(runs.load() == 0);

    // What fits is accepted: integral floats into integers, any finite double, a float's rounding.
    const json fits = json::parse(R"({"inner": {"i": 3.0, "u": 4294967295, "wide": -9223372036854775808,
        "uwide": 18446744073709551615, "f": 0.1, "d": 1e300, "maybe": -2147483648, "list": [1e9, -0.0]},
        "rows": [{"i": 2147483647, "f": 3.4e38, "d": -1e-300}]})");
    auto h = rt.trigger("numbers", fits);
    REQUIRE(h.wait_for(deadline));
    CHECK(h.status() == taskkit::run_status::completed);
}

TEST_CASE("a typed trigger's numbers are not checked again") {
    taskkit::registry reg;
    taskkit::task<numbers, int> t({.id = "typed-numbers", .run = [](const numbers& n) { return n.i; }}, reg);
    taskkit::runtime rt(options(reg));
    auto h = rt.trigger(t, numbers{.i = std::numeric_limits<int>::min(), .f = 1e30F});
    REQUIRE(h.wait_for(deadline));
    CHECK(h.get() == std::numeric_limits<int>::min());
}

TEST_CASE("metadata nested deeper than max_payload_depth is refused at the trigger and in a run") {
    taskkit::registry reg;
    worker_checks checks;
    taskkit::task<int> t({.id = "deep-metadata",
                          .run =
                              [&](const int&, taskkit::run_context& ctx) {
                                  WORKER_CHECK_THROWS_AS(checks, ctx.metadata().set("deep", nested_arrays(100'000)),
                                                         taskkit::options_error);
                                  WORKER_CHECK_THROWS_AS(checks, ctx.metadata().append("log", nested_arrays(300)),
                                                         taskkit::options_error);
                                  ctx.metadata().set("fine", nested_arrays(10));
                              }},
                         reg);
    taskkit::testing::harness h({.registry = &reg});
    json deep = json::object();
    deep["x"] = nested_arrays(100'000);
    CHECK_THROWS_AS(h.runtime().trigger(t, 1, {.metadata = std::move(deep)}),
                    taskkit::options_error);  // a copy would recurse
    CHECK(h.runtime().list().runs.empty());   // nothing was created
    auto handle = h.runtime().trigger(t, 2);
    handle.wait();
    CHECK(handle.status() == taskkit::run_status::completed);
    CHECK(checks.failures() == no_failures);
    CHECK(checks.count() == 2);
    CHECK(handle.snapshot().metadata.contains("fine"));
    CHECK_FALSE(handle.snapshot().metadata.contains("deep"));
}
