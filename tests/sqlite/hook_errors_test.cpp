// Hook errors on the SQLite backend: an exception a lifecycle hook (or the log sink) throws is
// stored with the run in the file, so a runtime that opens the file later reads it in the run's
// record, as the runtime that executed the run does. Every wait has a deadline.
#include <stdexcept>

#include <taskkit/taskkit.hpp>

#include "sqlite_test_support.hpp"
#include "support/taskkit_test.hpp"

using namespace sqlite_test;
using taskkit::run_status;

namespace {

taskkit::runtime_options on_file(taskkit::registry& reg, const std::string& path, unsigned workers = 1) {
    auto o = options(path);
    o.poll_interval = 5ms;
    auto r = taskkit_test::options(reg, workers);
    r.backend = taskkit::sqlite_backend(o);
    r.become_default = false;
    return r;
}

/// The record of run `id` as a fresh runtime (its own registry and backend) reads it from the file.
taskkit::run_record read_back(const std::string& path, const std::string& id) {
    taskkit::registry reg;
    taskkit::runtime fresh(on_file(reg, path, 0));
    auto record = fresh.retrieve(id);
    REQUIRE(record);
    return *record;
}

bool has_error(const taskkit::run_record& r, std::string_view message) {
    for (const auto& e : r.hook_errors)
        if (e.message == message) return true;
    return false;
}

}  // namespace

TEST_CASE("an on_success hook that throws is stored with the run: a fresh runtime on the file reads it",
          "[sqlite-hook-errors]") {
    temp_dir dir;
    const auto path = dir.file();
    std::string id;
    {
        taskkit::registry reg;
        taskkit::task<int, int> doubled(
            {.id = "doubled",
             .run = [](const int& n) { return 2 * n; },
             .on_success = [](const int&, const int&,
                              taskkit::run_context&) { throw std::runtime_error("receipt printer jammed"); }},
            reg);
        taskkit::runtime rt(on_file(reg, path));
        auto h = rt.trigger(doubled, 21);
        id = h.id();
        REQUIRE(h.wait_for(taskkit_test::deadline));
        CHECK(h.status() == run_status::completed);  // a hook's exception does not change the outcome
        CHECK(h.get() == 42);
        auto here = rt.retrieve(id);
        REQUIRE(here);
        REQUIRE(here->hook_errors.size() == 1);  // once, not once per copy
        CHECK(here->hook_errors[0].message == "on_success threw: receipt printer jammed");
    }  // the runtime that executed the run is gone
    const auto record = read_back(path, id);
    CHECK(record.status == run_status::completed);
    REQUIRE(record.hook_errors.size() == 1);
    CHECK(record.hook_errors[0].message == "on_success threw: receipt printer jammed");
    CHECK(record.hook_errors[0].type == "std::runtime_error");
    // The file itself holds it, for any connection.
    store::store reader(options(path));
    auto stored = reader.find(id);
    REQUIRE(stored);
    CHECK(stored->hook_errors.size() == 1);
}

TEST_CASE("on_failure and on_complete hooks that throw are stored in order with the failed run",
          "[sqlite-hook-errors]") {
    temp_dir dir;
    const auto path = dir.file();
    std::string id;
    {
        taskkit::registry reg;
        taskkit::task<int> failing(
            {.id = "failing",
             .run = [](const int&) { throw std::logic_error("no such account"); },
             .on_failure = [](const int&, const taskkit::error_info&,
                              taskkit::run_context&) { throw std::runtime_error("alert service down"); },
             .on_complete = [](const int&, const taskkit::result<void>&,
                               taskkit::run_context&) { throw std::runtime_error("audit log full"); }},
            reg);
        taskkit::runtime rt(on_file(reg, path));
        auto h = rt.trigger(failing, 1, {.max_attempts = 1});
        id = h.id();
        REQUIRE(h.wait_for(taskkit_test::deadline));
        CHECK(h.status() == run_status::failed);
    }
    const auto record = read_back(path, id);
    CHECK(record.status == run_status::failed);
    REQUIRE(record.error);
    CHECK(record.error->message == "no such account");  // the run's own error is unchanged
    REQUIRE(record.hook_errors.size() == 2);
    CHECK(record.hook_errors[0].message == "on_failure threw: alert service down");
    CHECK(record.hook_errors[1].message == "on_complete threw: audit log full");
}

TEST_CASE("a log sink that throws while a run logs is stored as the run's hook error", "[sqlite-hook-errors]") {
    temp_dir dir;
    const auto path = dir.file();
    std::string id;
    {
        taskkit::registry reg;
        taskkit::task<int> chatty(
            {.id = "chatty", .run = [](const int&, taskkit::run_context& ctx) { ctx.logger().info("hello"); }}, reg);
        auto o = on_file(reg, path);
        o.log_sink = [](const taskkit::log_entry&) { throw std::runtime_error("sink offline"); };
        taskkit::runtime rt(std::move(o));
        auto h = rt.trigger(chatty, 1);
        id = h.id();
        REQUIRE(h.wait_for(taskkit_test::deadline));
        CHECK(h.status() == run_status::completed);
    }
    const auto record = read_back(path, id);
    CHECK(has_error(record, "log_sink threw: sink offline"));
    REQUIRE(record.logs.size() == 1);  // the line is kept; only the sink failed
    CHECK(record.logs[0].message == "hello");
}
