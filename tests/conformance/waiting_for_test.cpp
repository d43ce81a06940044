// Conformance: run_record::waiting_for — what a waiting run waits for (a token, a child, a batch, a
// duration) is on its record while the wait lasts, read back through retrieve(id), and empty once
// the run executes again; no hook needs to be defined for it.
#include <optional>
#include <string>
#include <vector>

#include "conformance.hpp"

using namespace taskkit_test;
using namespace std::chrono_literals;
using taskkit::run_status;
using taskkit::wait_kind;

namespace {

struct gates {
    std::string own;    // the parent waits on it first
    std::string child;  // the child waits on it
    std::string item;   // the batch's one run waits on it
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(gates, own, child, item)

// What the run waits for now, once it is `waiting` with a wait of `kind`.
std::optional<taskkit::wait_info> waiting_with(taskkit::runtime& rt, const std::string& id, wait_kind kind) {
    std::optional<taskkit::wait_info> found;
    const bool seen = eventually([&] {
        auto r = rt.retrieve(id);
        if (!r || r->status != run_status::waiting || !r->waiting_for || r->waiting_for->kind != kind) return false;
        found = r->waiting_for;
        return true;
    });
    if (!seen) return std::nullopt;
    return found;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("conformance: a waiting run's record shows what it waits for, and nothing once it resumes",
                        "[conformance][waiting_for]", conformance::backends) {
    taskkit::registry reg;
    auto clock = std::make_shared<taskkit::virtual_clock>();
    taskkit::task<std::string> on_token(
        {.id = "on-token",
         .run = [](const std::string& token, taskkit::run_context& ctx) { (void)ctx.wait_for_token<int>(token); }},
        reg);
    taskkit::task<gates, std::string> parent({.id = "parent",
                                              .run =
                                                  [&](const gates& g, taskkit::run_context& ctx) {
                                                      (void)ctx.wait_for_token<int>(g.own);
                                                      (void)on_token.trigger_and_wait(g.child);
                                                      (void)on_token.batch_trigger_and_wait({g.item});
                                                      (void)ctx.wait_for(1h);
                                                      return std::string("done");
                                                  }},
                                             reg);
    taskkit::runtime rt(conformance::options<TestType>(reg, 2, clock));
    const gates g{rt.create_token({}).id, rt.create_token({}).id, rt.create_token({}).id};
    auto h = rt.trigger(parent, g);

    // A token.
    auto w = waiting_with(rt, h.id(), wait_kind::token);
    REQUIRE(w);
    CHECK(w->token_id == g.own);
    CHECK(w->run_ids.empty());
    CHECK(w->batch_id.empty());
    CHECK_FALSE(w->until);
    nlohmann::json j = *rt.retrieve(h.id());
    CHECK(j["waiting_for"]["kind"] == "token");
    CHECK(j["waiting_for"]["token_id"] == g.own);
    CHECK(rt.complete_token(g.own, 1) == taskkit::token_completion::completed);

    // A child: the parent waits on it, the child on its token.
    w = waiting_with(rt, h.id(), wait_kind::run);
    REQUIRE(w);
    REQUIRE(w->run_ids.size() == 1);
    const auto child_id = w->run_ids.front();
    CHECK(rt.retrieve(h.id())->children == std::vector<std::string>{child_id});
    CHECK_FALSE(w->any);
    CHECK(w->token_id.empty());
    auto cw = waiting_with(rt, child_id, wait_kind::token);
    REQUIRE(cw);
    CHECK(cw->token_id == g.child);
    CHECK(rt.complete_token(g.child, 2) == taskkit::token_completion::completed);

    // A batch of one run.
    w = waiting_with(rt, h.id(), wait_kind::batch);
    REQUIRE(w);
    CHECK_FALSE(w->batch_id.empty());
    REQUIRE(w->run_ids.size() == 1);
    const auto item = rt.retrieve(w->run_ids.front());
    REQUIRE(item);
    CHECK(item->batch_id == w->batch_id);
    // The child's wait ended: it completed, and its record shows no wait.
    REQUIRE(eventually([&] { return rt.retrieve(child_id)->status == run_status::completed; }));
    CHECK_FALSE(rt.retrieve(child_id)->waiting_for);
    CHECK(rt.complete_token(g.item, 3) == taskkit::token_completion::completed);

    // A duration, until an hour after the wait began on the runtime's clock.
    const auto before = clock->now();
    w = waiting_with(rt, h.id(), wait_kind::duration);
    REQUIRE(w);
    REQUIRE(w->until);
    CHECK(*w->until == before + 1h);
    j = *rt.retrieve(h.id());
    CHECK(j["waiting_for"]["until"] == taskkit::detail::to_millis(before + 1h));
    clock->advance(1h);
    REQUIRE(h.wait_for(deadline));
    CHECK(h.get() == "done");
    const auto done = rt.retrieve(h.id());
    REQUIRE(done);
    CHECK_FALSE(done->waiting_for);
    CHECK(nlohmann::json(*done)["waiting_for"].is_null());
}

TEMPLATE_LIST_TEST_CASE("conformance: a run that never waits, and one whose wait needs no waiting, show no wait",
                        "[conformance][waiting_for]", conformance::backends) {
    taskkit::registry reg;
    taskkit::task<int, int> quick({.id = "quick", .run = [](const int& n) { return n; }}, reg);
    taskkit::task<std::string, int> waits_done(
        {.id = "waits-done",
         .run = [](const std::string& token,
                   taskkit::run_context& ctx) { return ctx.wait_for_token<int>(token).unwrap(); }},
        reg);
    taskkit::testing::harness h(conformance::harness<TestType>(reg));
    auto a = h.runtime().trigger(quick, 1);
    CHECK_FALSE(h.runtime().retrieve(a.id())->waiting_for);  // queued
    const auto token = h.runtime().create_token({}).id;
    (void)h.runtime().complete_token(token, 7);  // completed before the run waits on it
    auto b = h.runtime().trigger(waits_done, token);
    h.run_until_idle();
    CHECK(a.get() == 1);
    CHECK(b.get() == 7);
    CHECK_FALSE(h.runtime().retrieve(a.id())->waiting_for);
    CHECK_FALSE(h.runtime().retrieve(b.id())->waiting_for);
}
