// Which runtime task.trigger() uses outside a run: the registry's default runtime (the first one
// created on it, or the one named with make_default()), never a second hidden one.
#include "support/taskkit_test.hpp"

using namespace taskkit_test;

TEST_CASE("task.trigger() outside a run goes to the first runtime the program created") {
    taskkit::registry reg;
    taskkit::task<int, int> echo({.id = "echo", .run = [](const int& n) { return n; }}, reg);
    taskkit::runtime rt(options(reg));
    auto h = echo.trigger(3);
    CHECK(h.get() == 3);
    REQUIRE(rt.retrieve(h.id()).has_value());  // the run is in the program's runtime, not a hidden one
    CHECK(rt.list({.tasks = {"echo"}}).runs.size() == 1);
    CHECK(rt.is_default());
}

TEST_CASE("make_default() names another runtime, when the default is destroyed the oldest left takes over") {
    taskkit::registry reg;
    taskkit::task<int, int> echo({.id = "echo", .run = [](const int& n) { return n; }}, reg);
    auto first = std::make_unique<taskkit::runtime>(options(reg));
    taskkit::runtime second(options(reg));
    taskkit::runtime third(options(reg));
    auto a = echo.trigger(1);
    CHECK(first->retrieve(a.id()).has_value());
    third.make_default();
    auto b = echo.trigger(2);
    CHECK(third.retrieve(b.id()).has_value());
    CHECK_FALSE(first->retrieve(b.id()).has_value());
    CHECK(b.get() == 2);
    first.reset();
    auto c = echo.trigger(3);
    CHECK(third.retrieve(c.id()).has_value());  // the named default stays
    CHECK(c.get() == 3);
}

TEST_CASE("a runtime made with .become_default = false never becomes the default") {
    taskkit::registry reg;
    taskkit::task<int, int> echo({.id = "echo", .run = [](const int& n) { return n; }}, reg);
    auto opts = options(reg);
    opts.become_default = false;
    taskkit::runtime side(opts);
    taskkit::runtime main_rt(options(reg));
    auto h = echo.trigger(4);
    CHECK(main_rt.retrieve(h.id()).has_value());
    CHECK_FALSE(side.retrieve(h.id()).has_value());
    CHECK(h.get() == 4);
    CHECK_FALSE(side.is_default());
    CHECK(main_rt.is_default());
}

TEST_CASE("inside a run, a trigger goes to the runtime executing the run, whatever the default") {
    taskkit::registry reg;
    taskkit::task<int, int> leaf({.id = "leaf", .run = [](const int& n) { return n * 2; }}, reg);
    taskkit::task<int, int> parent(
        {.id = "parent", .run = [&](const int& n) { return leaf.trigger_and_wait(n).unwrap(); }}, reg);
    taskkit::runtime default_rt(options(reg));
    taskkit::runtime other(options(reg));
    auto h = other.trigger(parent, 21);
    CHECK(h.get() == 42);
    const auto record = h.snapshot();
    REQUIRE(record.children.size() == 1);
    CHECK(other.retrieve(record.children[0]).has_value());
    CHECK_FALSE(default_rt.retrieve(record.children[0]).has_value());
}
