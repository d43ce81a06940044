// Waitpoint tokens on the SQLite backend: tokens live in the file, so a token created by one
// runtime (process) is completed by another, and the run waiting on it in the first wakes (it
// follows the file's events); a run whose runtime shut down while it waited executes again in
// the next runtime on the file, gets its token back from ctx.create_token and finds it completed.
// Each runtime has a registry of its own, as a process would. Every wait has a deadline.
#include <atomic>
#include <string>

#include <taskkit/taskkit.hpp>

#include "runtime_on_file.hpp"
#include "sqlite_test_support.hpp"
#include "support/eventually.hpp"
#include "support/taskkit_test.hpp"

using namespace sqlite_test;
using taskkit::run_status;
using taskkit::token_status;

namespace {

/// One process's "approve" task: creates its token (no key: derived from the run) and waits on it.
struct approve_process {
    approve_process()
        : approve({.id = "approve",
                   .run =
                       [this](const std::string& name, taskkit::run_context& ctx) {
                           ++attempts;
                           auto token = ctx.create_token({.tags = {name}});
                           auto r = ctx.wait_for_token<std::string>(token);
                           return name + ": " + r.unwrap();  // a shutdown throws: the run is queued again
                       }},
                  reg) {}
    std::atomic<int> attempts{0};
    taskkit::registry reg;
    taskkit::task<std::string, std::string> approve;
};

}  // namespace

TEST_CASE("a token completed by one runtime on a file wakes the run waiting on it in another") {
    temp_dir dir;
    approve_process a;
    approve_process b;
    taskkit::runtime waiter(runtime_on_file(a.reg, dir.file(), 2));
    taskkit::runtime completer(runtime_on_file(b.reg, dir.file(), 0));  // runs nothing: completes the token only
    auto handle = waiter.trigger(a.approve, std::string("invoice-9"));
    std::vector<taskkit::token_record> waiting;
    REQUIRE(taskkit_test::eventually([&] {
        waiting = completer.tokens({.status = token_status::waiting, .tag = "invoice-9"});  // read from the file
        return waiting.size() == 1 && handle.status() == run_status::waiting;
    }));
    CHECK(completer.complete_token(waiting[0].id, "approved") == taskkit::token_completion::completed);
    CHECK(waiter.complete_token(waiting[0].id, "again") == taskkit::token_completion::already_completed);
    REQUIRE(handle.wait_for(taskkit_test::deadline));
    CHECK(handle.get() == "invoice-9: approved");
    CHECK(a.attempts.load() == 1);
    auto token = waiter.token(waiting[0].id);
    REQUIRE(token);
    CHECK(token->status == token_status::completed);
    CHECK(token->data == "approved");
}

TEST_CASE("another runtime on the file sees what a run waits for, and nothing once it resumes") {
    temp_dir dir;
    approve_process a;
    approve_process b;
    taskkit::runtime waiter(runtime_on_file(a.reg, dir.file(), 2));
    taskkit::runtime other(runtime_on_file(b.reg, dir.file(), 0));  // runs nothing: reads the file
    auto handle = waiter.trigger(a.approve, std::string("order-3"));
    std::optional<taskkit::run_record> seen;
    REQUIRE(taskkit_test::eventually([&] {
        seen = other.retrieve(handle.id());
        return seen && seen->status == run_status::waiting && seen->waiting_for;
    }));
    CHECK(seen->waiting_for->kind == taskkit::wait_kind::token);
    const auto tokens = other.tokens({.tag = "order-3"});
    REQUIRE(tokens.size() == 1);
    CHECK(seen->waiting_for->token_id == tokens[0].id);
    CHECK(nlohmann::json(*seen)["waiting_for"]["token_id"] == tokens[0].id);
    CHECK(other.complete_token(tokens[0].id, "yes") == taskkit::token_completion::completed);
    REQUIRE(handle.wait_for(taskkit_test::deadline));
    const auto done = other.retrieve(handle.id());
    REQUIRE(done);
    CHECK(done->status == run_status::completed);
    CHECK_FALSE(done->waiting_for);
}

TEST_CASE("a run waiting on a token when its runtime shuts down executes again and finds its token completed") {
    temp_dir dir;
    std::string run_id;
    std::string token_id;
    {
        approve_process a;
        taskkit::runtime first(runtime_on_file(a.reg, dir.file(), 2));
        auto handle = first.trigger(a.approve, std::string("po-4"));
        run_id = handle.id();
        REQUIRE(taskkit_test::eventually([&] { return handle.status() == run_status::waiting; }));
        auto tokens = first.tokens({.tag = "po-4"});
        REQUIRE(tokens.size() == 1);
        token_id = tokens[0].id;
    }  // shut down while the run waits: its attempt throws runtime_stopped, and the run is queued again
    approve_process b;
    taskkit::runtime second(runtime_on_file(b.reg, dir.file(), 0));
    CHECK(second.retrieve(run_id)->status == run_status::queued);
    CHECK(second.token(token_id)->status == token_status::waiting);  // the token outlived the runtime
    CHECK(second.complete_token(token_id, "signed") == taskkit::token_completion::completed);
    second.run_until_idle();  // executes the run again: ctx.create_token returns the same, completed token
    auto record = second.retrieve(run_id);
    REQUIRE(record);
    CHECK(record->status == run_status::completed);
    CHECK(record->output == "po-4: signed");
    CHECK(b.attempts.load() == 1);
    CHECK(second.tokens().size() == 1);
}

TEST_CASE("tokens and their idempotency keys outlive the runtime that created them") {
    temp_dir dir;
    {
        approve_process a;
        taskkit::runtime rt(runtime_on_file(a.reg, dir.file(), 0));
        auto token = rt.create_token({.idempotency_key = "k"});
        CHECK(rt.create_token({.idempotency_key = "k"}).id == token.id);
    }
    approve_process b;
    taskkit::runtime again(runtime_on_file(b.reg, dir.file(), 0));
    auto tokens = again.tokens();
    REQUIRE(tokens.size() == 1);
    CHECK(tokens[0].idempotency_key == "k");
    CHECK(again.create_token({.idempotency_key = "k"}).existing);  // the key holds across runtimes
}
