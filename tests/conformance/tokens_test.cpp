// Conformance: waitpoint tokens — created (with idempotency keys and tags), completed once,
// found and listed with their status; timing out on the runtime's clock; a run waiting on a
// token holds no slot, continues with the typed data, gets an error result on a timeout, a
// token it does not know or data of another type, and wakes when canceled.
#include <atomic>
#include <string>

#include "conformance.hpp"

using namespace taskkit_test;
using namespace std::chrono_literals;
using taskkit::run_status;
using taskkit::token_status;

namespace {

struct approval {
    bool approved = false;
    std::string by;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(approval, approved, by)

}  // namespace

TEMPLATE_LIST_TEST_CASE("conformance: a token is created waiting, completed once, and found with its status",
                        "[conformance][tokens]", conformance::backends) {
    taskkit::registry reg;
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    const auto created_at = rt.clock()->now();
    auto token = rt.create_token({.tags = {"order_17", "finance"}});
    CHECK(token.id.rfind("waitpoint_", 0) == 0);
    CHECK_FALSE(token.existing);
    CHECK_FALSE(token.timeout_at);
    auto found = rt.token(token.id);
    REQUIRE(found);
    CHECK(found->status == token_status::waiting);
    CHECK(found->created_at == created_at);
    CHECK(found->tags == std::vector<std::string>{"order_17", "finance"});
    CHECK_FALSE(found->completed_at);
    CHECK(found->data.is_null());

    h.clock().advance(5s);
    CHECK(rt.complete_token(token.id, approval{true, "ada"}) == taskkit::token_completion::completed);
    found = rt.token(token.id);
    REQUIRE(found);
    CHECK(found->status == token_status::completed);
    CHECK(found->completed_at == created_at + 5s);
    CHECK(found->data == nlohmann::json{{"approved", true}, {"by", "ada"}});
    // A second completion changes nothing and says so.
    CHECK(rt.complete_token(token.id, approval{false, "bob"}) == taskkit::token_completion::already_completed);
    CHECK(rt.token(token.id)->data["by"] == "ada");

    nlohmann::json j = *found;
    CHECK(j["status"] == "completed");
    CHECK(j["id"] == token.id);
}

TEMPLATE_LIST_TEST_CASE("conformance: completing an unknown token is unknown_token_error, bad options options_error",
                        "[conformance][tokens]", conformance::backends) {
    taskkit::registry reg;
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    try {
        (void)rt.complete_token("waitpoint_nope", nullptr);
        FAIL("no throw");
    } catch (const taskkit::unknown_token_error& e) {
        CHECK(e.code() == taskkit::error_code::unknown_token);
    }
    CHECK_FALSE(rt.token("waitpoint_nope"));
    CHECK_THROWS_AS(rt.create_token({.timeout = 0ms}), taskkit::options_error);
    CHECK_THROWS_AS(rt.create_token({.tags = {""}}), taskkit::options_error);
    CHECK_THROWS_AS(rt.create_token({.idempotency_key_ttl = 1h}), taskkit::options_error);
    CHECK(rt.tokens().empty());
}

TEMPLATE_LIST_TEST_CASE("conformance: a token times out on the runtime's clock, and completing it then is refused",
                        "[conformance][tokens]", conformance::backends) {
    taskkit::registry reg;
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    auto token = rt.create_token({.timeout = 1h});
    REQUIRE(token.timeout_at);
    CHECK(*token.timeout_at == rt.clock()->now() + 1h);
    h.clock().advance(59min);
    CHECK(rt.token(token.id)->status == token_status::waiting);
    h.clock().advance(1min);
    CHECK(rt.token(token.id)->status == token_status::timed_out);
    try {
        (void)rt.complete_token(token.id, true);
        FAIL("no throw");
    } catch (const taskkit::token_timed_out_error& e) {
        CHECK(e.code() == taskkit::error_code::token_timed_out);
    }
    CHECK(rt.token(token.id)->status == token_status::timed_out);
    CHECK(rt.token(token.id)->data.is_null());
}

TEMPLATE_LIST_TEST_CASE("conformance: the same idempotency key returns the same token within its ttl",
                        "[conformance][tokens]", conformance::backends) {
    taskkit::registry reg;
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    auto first = rt.create_token({.idempotency_key = "approve-17", .idempotency_key_ttl = 1h});
    auto again = rt.create_token({.idempotency_key = "approve-17"});
    CHECK(again.id == first.id);
    CHECK(again.existing);
    CHECK(rt.create_token({.idempotency_key = "approve-18"}).id != first.id);
    (void)rt.complete_token(first.id, "yes");
    CHECK(rt.create_token({.idempotency_key = "approve-17"}).id == first.id);  // completed: still the same token
    h.clock().advance(2h);                                                     // past the key's ttl
    auto fresh = rt.create_token({.idempotency_key = "approve-17"});
    CHECK(fresh.id != first.id);
    CHECK_FALSE(fresh.existing);
    CHECK(rt.token(fresh.id)->status == token_status::waiting);
}

TEMPLATE_LIST_TEST_CASE("conformance: tokens are listed newest first, by status and by tag", "[conformance][tokens]",
                        conformance::backends) {
    taskkit::registry reg;
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto& rt = h.runtime();
    auto a = rt.create_token({.tags = {"red"}});
    h.clock().advance(1s);
    auto b = rt.create_token({.timeout = 1min, .tags = {"blue"}});
    h.clock().advance(1s);
    auto c = rt.create_token({.tags = {"red", "blue"}});
    (void)rt.complete_token(c.id, 1);
    h.clock().advance(2min);  // b times out
    const auto ids = [](const std::vector<taskkit::token_record>& tokens) {
        std::vector<std::string> out;
        for (const auto& t : tokens) out.push_back(t.id);
        return out;
    };
    CHECK(ids(rt.tokens()) == std::vector<std::string>{c.id, b.id, a.id});
    CHECK(ids(rt.tokens({.status = token_status::waiting})) == std::vector<std::string>{a.id});
    CHECK(ids(rt.tokens({.status = token_status::timed_out})) == std::vector<std::string>{b.id});
    CHECK(ids(rt.tokens({.status = token_status::completed})) == std::vector<std::string>{c.id});
    CHECK(ids(rt.tokens({.tag = "red"})) == std::vector<std::string>{c.id, a.id});
    CHECK(ids(rt.tokens({.status = token_status::timed_out, .tag = "blue"})) == std::vector<std::string>{b.id});
    CHECK(ids(rt.tokens({.limit = 2})) == std::vector<std::string>{c.id, b.id});
    CHECK(rt.tokens({.tag = "green"}).empty());
}

TEMPLATE_LIST_TEST_CASE("conformance: a run waiting on a token continues with the typed data it was completed with",
                        "[conformance][tokens]", conformance::backends) {
    taskkit::registry reg;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    std::atomic<bool> other_ran{false};
    const taskkit::queue_options one{.name = "approvals", .concurrency_limit = 1};
    taskkit::task<std::string, std::string> review(
        {.id = "review",
         .queue = one,
         .run =
             [&](const std::string& token_id, taskkit::run_context& ctx) {
                 auto r = ctx.wait_for_token<approval>(token_id);
                 if (!r.ok()) return "error: " + r.error().message;
                 return std::string(r.output().approved ? "approved by " : "rejected by ") + r.output().by;
             }},
        reg);
    taskkit::task<int> other(
        {.id = "other", .queue = one, .run = [&](const int&, taskkit::run_context&) { other_ran = true; }}, reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2, clock));
    auto token = rt.create_token({.timeout = 24h});
    auto waiting = rt.trigger(review, token.id);
    REQUIRE(eventually([&] { return waiting.status() == run_status::waiting; }));
    // The waiting run holds no slot of its queue (limit 1): another run of the queue executes.
    auto next = rt.trigger(other, 1);
    REQUIRE(next.wait_for(deadline));
    CHECK(other_ran);
    CHECK(waiting.status() == run_status::waiting);
    CHECK(rt.complete_token(token.id, approval{true, "grace"}) == taskkit::token_completion::completed);
    REQUIRE(waiting.wait_for(deadline));
    CHECK(waiting.get() == "approved by grace");
}

TEMPLATE_LIST_TEST_CASE("conformance: a wait on a token returns token_timed_out when its timeout passes first",
                        "[conformance][tokens]", conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int, std::string> wait_task(
        {.id = "wait-token",
         .run =
             [](const int&, taskkit::run_context& ctx) {
                 auto token = ctx.create_token({.timeout = 1h});
                 auto r = ctx.wait_for_token<approval>(token);
                 if (r.ok()) return std::string("approved");
                 return std::string(taskkit::to_string(r.status())) + " " +
                        std::string(taskkit::to_string(r.error().code.value_or(taskkit::error_code::run_failed)));
             }},
        reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    const auto start = h.clock().now();
    auto handle = h.runtime().trigger(wait_task, 1);
    h.run_until_idle();
    REQUIRE(handle.status() == run_status::completed);
    CHECK(handle.get() == "timed_out token_timed_out");
    CHECK(h.clock().now() >= start + 1h);  // the virtual clock jumped to the timeout
    auto tokens = h.runtime().tokens({.status = token_status::timed_out});
    REQUIRE(tokens.size() == 1);
}

TEMPLATE_LIST_TEST_CASE("conformance: a token completed by another run wakes the waiting one, on the virtual clock",
                        "[conformance][tokens]", conformance::backends) {
    taskkit::registry reg;
    taskkit::runtime* runtime = nullptr;
    taskkit::task<int, std::string> waiter({.id = "waiter",
                                            .run =
                                                [](const int&, taskkit::run_context& ctx) {
                                                    auto token = ctx.create_token({.idempotency_key = "shared"});
                                                    auto r = ctx.wait_for_token<approval>(token);
                                                    return r.ok() ? r.output().by : r.error().message;
                                                }},
                                           reg);
    taskkit::task<int> approver({.id = "approver",
                                 .run =
                                     [&](const int&, taskkit::run_context&) {
                                         auto token = runtime->create_token({.idempotency_key = "shared"});
                                         (void)runtime->complete_token(token.id, approval{true, "lin"});
                                     }},
                                reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    runtime = &h.runtime();
    auto waiting = h.runtime().trigger(waiter, 1);
    auto completing = h.runtime().trigger(approver, 1);
    h.run_until_idle();
    CHECK(completing.status() == run_status::completed);
    REQUIRE(waiting.status() == run_status::completed);
    CHECK(waiting.get() == "lin");
}

TEMPLATE_LIST_TEST_CASE("conformance: data that does not convert to the awaited type is an error result",
                        "[conformance][tokens]", conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int, std::string> typed(
        {.id = "typed-wait",
         .run =
             [](const int&, taskkit::run_context& ctx) {
                 auto token = ctx.create_token();
                 auto r = ctx.wait_for_token<approval>(token);
                 if (r.ok()) return std::string("ok");
                 return std::string(taskkit::to_string(r.error().code.value_or(taskkit::error_code::run_failed))) +
                        ": " + r.error().message;
             }},
        reg);
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::runtime rt(conformance::options<TestType>(reg, 2, clock));
    auto handle = rt.trigger(typed, 1);
    REQUIRE(eventually([&] { return handle.status() == run_status::waiting; }));
    const auto waiting = rt.tokens({.status = token_status::waiting});
    REQUIRE(waiting.size() == 1);
    // Not an approval: the run gets an invalid_payload error result, not a crash.
    CHECK(rt.complete_token(waiting[0].id, "not an object") == taskkit::token_completion::completed);
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.get().rfind("invalid_payload: ", 0) == 0);
    CHECK(handle.get().find("does not convert") != std::string::npos);
}

TEMPLATE_LIST_TEST_CASE("conformance: a run waiting on a token wakes when canceled and ends canceled",
                        "[conformance][tokens]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<int> code{-1};
    taskkit::task<int> wait_task({.id = "cancel-wait",
                                  .run =
                                      [&](const int&, taskkit::run_context& ctx) {
                                          auto r = ctx.wait_for_token(ctx.create_token());
                                          code = r.ok() ? 0 : static_cast<int>(r.status());
                                          if (!r.ok()) r.error().rethrow();
                                      }},
                                 reg);
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::runtime rt(conformance::options<TestType>(reg, 2, clock));
    auto handle = rt.trigger(wait_task, 1);
    REQUIRE(eventually([&] { return handle.status() == run_status::waiting; }));
    CHECK(rt.cancel(handle.id()));
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.status() == run_status::canceled);
    CHECK(code == static_cast<int>(run_status::canceled));
}

TEMPLATE_LIST_TEST_CASE("conformance: a wait on an unknown token is an unknown_token error result",
                        "[conformance][tokens]", conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int, std::string> wait_task(
        {.id = "unknown-wait",
         .run =
             [](const int&, taskkit::run_context& ctx) {
                 auto r = ctx.wait_for_token<int>("waitpoint_missing");
                 return r.ok()
                            ? std::string("ok")
                            : std::string(taskkit::to_string(r.error().code.value_or(taskkit::error_code::run_failed)));
             }},
        reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto handle = h.runtime().trigger(wait_task, 1);
    h.run_until_idle();
    CHECK(handle.get() == "unknown_token");
}

TEMPLATE_LIST_TEST_CASE("conformance: ctx.create_token without a key gives an attempt executed again the same token",
                        "[conformance][tokens]", conformance::backends) {
    taskkit::registry reg;
    std::atomic<int> attempts{0};
    std::string first_id;
    std::string second_id;
    taskkit::task<int, int> retried(
        {.id = "retried-wait",
         .retry = {.max_attempts = 2, .min_timeout = 1ms, .max_timeout = 1ms, .randomize = false},
         .run =
             [&](const int&, taskkit::run_context& ctx) {
                 auto token = ctx.create_token({.timeout = 1min});
                 if (++attempts == 1) {
                     first_id = token.id;
                     throw std::runtime_error("first attempt fails");
                 }
                 second_id = token.id;
                 return token.existing ? 1 : 0;
             }},
        reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto handle = h.runtime().trigger(retried, 1);
    h.run_until_idle();
    CHECK(handle.get() == 1);
    CHECK(first_id == second_id);
    CHECK(h.runtime().tokens().size() == 1);
}
