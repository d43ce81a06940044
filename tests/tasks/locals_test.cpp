// Locals: typed per-attempt values shared by middleware, hooks and the run function, made empty
// for each attempt and destroyed after its cleanup, the last set first.
#include <taskkit/testing.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using json = nlohmann::json;
using strings = std::vector<std::string>;

namespace {
/// Records its destruction in a log.
struct recorded {
    event_log* log = nullptr;
    std::string name;
    recorded(event_log& l, std::string n) : log(&l), name(std::move(n)) {}
    recorded(recorded&& other) noexcept : log(std::exchange(other.log, nullptr)), name(std::move(other.name)) {}
    recorded(const recorded&) = delete;
    ~recorded() {
        if (log) log->add("~" + name);
    }
};

const taskkit::local<recorded> connection{"connection"};
const taskkit::local<recorded> transaction;
const taskkit::local<int> counter{"counter"};
}  // namespace

TEST_CASE("locals set by middleware are seen by hooks and the run, and destroyed after cleanup, last set first") {
    taskkit::registry reg;
    event_log log;
    taskkit::task<json, int> t(
        {.id = "with-locals",
         .run =
             [&](const json&, taskkit::run_context& ctx) {
                 log.add("run sees " + ctx.locals().get(connection).name + " and " +
                         ctx.locals().get(transaction).name);
                 return ++ctx.locals().get(counter);
             },
         .cleanup =
             [&](const json&, taskkit::run_context& ctx) {
                 log.add("cleanup sees counter " + std::to_string(ctx.locals().get(counter)));
             },
         .middleware =
             [&](const json&, taskkit::run_context& ctx, const std::function<void()>& next) {
                 ctx.locals().set(connection, recorded(log, "conn"));
                 ctx.locals().set(counter, 41);
                 next();
                 log.add("middleware after next");
             },
         .on_start_attempt = [&](const json&,
                                 taskkit::run_context& ctx) { ctx.locals().set(transaction, recorded(log, "tx")); },
         .on_success =
             [&](const json&, const int&, taskkit::run_context& ctx) {
                 log.add("on_success sees " + ctx.locals().get(transaction).name);
             }},
        reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::completed);
    CHECK(run.outcome.unwrap() == 42);
    CHECK(log.get() == strings{"run sees conn and tx", "middleware after next", "on_success sees tx",
                               "cleanup sees counter 42", "~tx", "~conn"});
}

TEST_CASE("each attempt starts with no locals, and the failed attempt's are destroyed before the next") {
    taskkit::registry reg;
    event_log log;
    taskkit::task<json> t(
        {.id = "locals-per-attempt",
         .retry = {.max_attempts = 2, .randomize = false},
         .run =
             [&](const json&, taskkit::run_context& ctx) {
                 const int n = ctx.attempt().number;
                 log.add("attempt " + std::to_string(n) + " found " + (ctx.locals().find(connection) ? "one" : "none"));
                 ctx.locals().set(connection, recorded(log, "conn" + std::to_string(n)));
                 if (n == 1) throw std::runtime_error("again");
             }},
        reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::completed);
    CHECK(log.get() == strings{"attempt 1 found none", "~conn1", "attempt 2 found none", "~conn2"});
}

TEST_CASE("get of an unset local throws local_unset_error naming it, find returns null") {
    taskkit::registry reg;
    std::string named;
    std::string unnamed;
    bool found = true;
    taskkit::task<json> t({.id = "unset-local",
                           .run =
                               [&](const json&, taskkit::run_context& ctx) {
                                   found = ctx.locals().find(counter) != nullptr;
                                   try {
                                       (void)ctx.locals().get(counter);
                                   } catch (const taskkit::local_unset_error& e) {
                                       named = e.what();
                                       CHECK(e.code() == taskkit::error_code::invalid_state);
                                   }
                                   try {
                                       (void)ctx.locals().get(transaction);
                                   } catch (const taskkit::state_error& e) {
                                       unnamed = e.what();
                                   }
                               }},
                          reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::completed);
    CHECK_FALSE(found);
    CHECK(named.find("local 'counter' holds no value") != std::string::npos);
    CHECK(unnamed.find("a local of type") != std::string::npos);
}

TEST_CASE("set replaces a value (destroying the old one), erase removes it") {
    event_log log;
    taskkit::locals store;
    store.set(connection, recorded(log, "a"));
    CHECK(log.get() == strings{});
    recorded& b = store.set(connection, recorded(log, "b"));
    CHECK(b.name == "b");
    CHECK(log.get() == strings{"~a"});
    CHECK(store.contains(connection));
    store.erase(connection);
    CHECK_FALSE(store.contains(connection));
    CHECK(log.get() == strings{"~a", "~b"});
    store.set(connection, recorded(log, "c"));
    store.set(transaction, recorded(log, "d"));
    store.clear();
    CHECK(log.get() == strings{"~a", "~b", "~d", "~c"});
}

TEST_CASE("locals are per attempt: a child run executed inline has its own") {
    taskkit::registry reg;
    bool child_found = true;
    taskkit::task<int> child(
        {.id = "inline-child",
         .run = [&](const int&, taskkit::run_context& ctx) { child_found = ctx.locals().find(counter) != nullptr; }},
        reg);
    taskkit::task<json, int> parent({.id = "locals-parent",
                                     .run =
                                         [&](const json&, taskkit::run_context& ctx) {
                                             ctx.locals().set(counter, 7);
                                             child.trigger_and_wait(1).unwrap();
                                             return ctx.locals().get(counter);
                                         }},
                                    reg);
    taskkit::testing::harness h({.registry = &reg});
    auto handle = h.runtime().trigger(parent, json::object());
    h.finish(handle);
    CHECK(handle.get() == 7);
    CHECK_FALSE(child_found);
}

TEST_CASE("global hooks share the attempt's locals with the task") {
    taskkit::registry reg;
    int seen = 0;
    auto set = reg.hooks().middleware([](const taskkit::hook_context& hc, const std::function<void()>& next) {
        hc.ctx().locals().set(counter, 3);
        next();
    });
    auto read = reg.hooks().cleanup([&](const taskkit::hook_context& hc) { seen = hc.ctx().locals().get(counter); });
    taskkit::task<json> t(
        {.id = "shared-locals", .run = [](const json&, taskkit::run_context& ctx) { ctx.locals().get(counter) *= 10; }},
        reg);
    auto run = taskkit::testing::run_inline(t, json::object(), {}, {.registry = &reg});
    CHECK(run.record.status == taskkit::run_status::completed);
    CHECK(seen == 30);
}

TEST_CASE("a run canceled while waiting to retry: on_failure gets locals of its own") {
    taskkit::registry reg;
    bool had_none = false;
    taskkit::task<json> t(
        {.id = "terminal-locals",
         .retry = {.max_attempts = 3, .min_timeout = std::chrono::hours(1), .max_timeout = std::chrono::hours(1)},
         .run =
             [](const json&, taskkit::run_context& ctx) {
                 ctx.locals().set(counter, 1);
                 throw std::runtime_error("down");
             },
         .on_failure = [&](const json&, const taskkit::error_info&,
                           taskkit::run_context& ctx) { had_none = ctx.locals().find(counter) == nullptr; }},
        reg);
    taskkit::testing::harness h({.registry = &reg});
    auto handle = h.runtime().trigger(t, json::object());
    h.advance(std::chrono::seconds(1));
    REQUIRE(handle.status() == taskkit::run_status::retrying);
    CHECK(handle.cancel());
    h.run_until_idle();
    CHECK(handle.status() == taskkit::run_status::canceled);
    CHECK(had_none);
}
