// The hook fields of task_options (hook_function): what converts to them, empty hooks, copies,
// and that they stay std::functions (the diagnostics of wrong callables are in tests/compile_fail).
#include <functional>
#include <type_traits>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;

namespace {
using options_t = taskkit::task_options<int, int>;
using void_options_t = taskkit::task_options<int>;

static_assert(std::is_aggregate_v<options_t>, "task_options stays an aggregate (designated initializers)");
static_assert(std::is_aggregate_v<void_options_t>);
static_assert(std::is_base_of_v<std::function<void(const int&, taskkit::run_context&)>, decltype(options_t::init)>,
              "a hook is a std::function of its signature");
static_assert(std::is_base_of_v<std::function<void(const int&, const int&, taskkit::run_context&)>,
                                decltype(options_t::on_success)>);
static_assert(
    std::is_base_of_v<std::function<void(const int&, taskkit::run_context&)>, decltype(void_options_t::on_success)>);
static_assert(std::is_nothrow_default_constructible_v<decltype(options_t::on_start)>);
static_assert(std::is_copy_constructible_v<decltype(options_t::on_start)>);
static_assert(std::is_nothrow_move_constructible_v<decltype(options_t::on_start)>);

int counter = 0;
void count_start(const int&, taskkit::run_context&) { ++counter; }
}  // namespace

TEST_CASE("hooks are empty by default, from nullptr and from {}, and test false") {
    options_t o{.id = "x", .on_start = nullptr, .on_success = {}};
    CHECK_FALSE(o.init);
    CHECK_FALSE(o.on_start);
    CHECK_FALSE(o.on_success);
    CHECK_FALSE(o.handle_error);
    CHECK(o.on_failure == nullptr);
    o.on_start = [](const int&, taskkit::run_context&) {};
    CHECK(o.on_start);
    o.on_start = nullptr;
    CHECK_FALSE(o.on_start);
}

TEST_CASE("hooks take lambdas, generic and mutable ones, function pointers and std::functions") {
    taskkit::registry reg;
    event_log log;
    int starts = 0;
    std::function<void(const int&, const taskkit::error_info&, taskkit::run_context&)> failure =
        [&](const int&, const taskkit::error_info& e, taskkit::run_context&) { log.add("failure:" + e.message); };
    const std::function<void(const int&, taskkit::run_context&)> empty;
    counter = 0;
    taskkit::task<int, int> t(
        {.id = "hook-kinds",
         .retry = {.max_attempts = 2, .min_timeout = 1ms, .max_timeout = 1ms},
         .run =
             [](const int& n, taskkit::run_context& ctx) {
                 if (ctx.attempt().number == 1) throw std::runtime_error("first");
                 if (n < 0) throw std::runtime_error("negative");
                 return n;
             },
         .init =
             [&log](const auto& n, auto& ctx) {  // generic
                 log.add("init:" + std::to_string(n) + "#" + std::to_string(ctx.attempt().number));
             },
         .cleanup = empty,  // an empty std::function: no hook
         .on_start = &count_start,
         .on_success =
             [&, calls = 0](const int&, const int& out, taskkit::run_context&) mutable {
                 ++calls;
                 log.add("success:" + std::to_string(out) + "x" + std::to_string(calls));
             },
         .on_failure = failure,
         .handle_error =
             [&starts](const int&, const taskkit::error_info&, taskkit::run_context&) {
                 ++starts;
                 return taskkit::error_decision{};
             }},
        reg);
    taskkit::runtime rt(options(reg, 1));
    CHECK(rt.trigger(t, 7).get() == 7);
    CHECK(log.get() == std::vector<std::string>{"init:7#1", "init:7#2", "success:7x1"});
    CHECK(counter == 1);  // on_start: the first attempt only
    CHECK(starts == 1);   // handle_error after the failed first attempt
    CHECK_FALSE(t.definition()->options().cleanup);
}

TEST_CASE("task_options with hooks copy, move and assign like std::functions") {
    int calls = 0;
    options_t a{.id = "a", .on_start = [&calls](const int&, taskkit::run_context&) { ++calls; }};
    options_t b = a;  // copy
    REQUIRE(b.on_start);
    options_t c = std::move(a);
    REQUIRE(c.on_start);
    decltype(options_t::on_start) start = b.on_start;
    decltype(options_t::init) init = b.on_start;  // the same signature under another field
    std::function<void(const int&, taskkit::run_context&)> plain = b.on_start;
    CHECK(start);
    CHECK(init);
    CHECK(plain);
    void_options_t v;
    v.on_success = [](const int&, taskkit::run_context&) {};
    v.on_complete = [](const int&, const taskkit::result<void>&, taskkit::run_context&) {};
    CHECK(v.on_success);
    CHECK(v.on_complete);
    v.on_success = std::function<void(const int&, taskkit::run_context&)>();  // empty stays empty
    CHECK_FALSE(v.on_success);
}
