// Leases: renewal, expiry and rescue (a new attempt, or crashed when none is left), stale
// outcomes refused, and how an attempt ends (finish).
#include "sqlite_test_support.hpp"

using namespace sqlite_test;
using taskkit::run_status;
using ids = std::vector<std::string>;

TEST_CASE("a renewed lease is held, reports a cancel, and is lost once another process rescued the run") {
    temp_dir dir;
    store::store p1(options(dir.file()));
    store::store p2(options(dir.file()));
    create(p1, {.id = "run_a", .max_attempts = 2});
    auto c = claim_one(p1, 0);
    REQUIRE(c);
    CHECK(p1.renew(c->lease, t(20)) == store::lease_state::held);
    auto info = p1.inspect("run_a");
    REQUIRE(info);
    CHECK(info->lease_expires_at == t(50));  // renewed at 20 for 30 s
    CHECK(info->lease_owner == "p1");
    // Not expired at 49 (renewed), so another process's claim rescues nothing.
    CHECK(claim_ids(p2, 49, 10, {8, 8}, "p2").empty());
    // p1 stops renewing (it died): at 50 p2 rescues the run and executes attempt 2.
    auto rescued = p2.claim({.owner = "p2", .now = t(50), .free = {8, 8}});
    CHECK(rescued.rescued == 1);
    REQUIRE(rescued.runs.size() == 1);
    CHECK(rescued.runs[0].lease.attempt == 2);
    CHECK(rescued.runs[0].attempt_in_budget == 2);
    CHECK(rescued.runs[0].lease.owner == "p2");
    // p1 comes back: its lease is lost, its outcome refused, the run untouched.
    CHECK(p1.renew(c->lease, t(51)) == store::lease_state::lost);
    const auto late = complete(p1, *c, 51, "from p1");
    CHECK_FALSE(late.accepted);
    CHECK(status_of(p2, "run_a") == run_status::executing);
    CHECK_FALSE(p1.save_step(c->lease, "charge", 1, t(51)));
    // The rescued attempt finishes.
    CHECK(complete(p2, rescued.runs[0], 52, "from p2").accepted);
    auto r = p2.find("run_a");
    REQUIRE(r);
    CHECK(r->status == run_status::completed);
    CHECK(r->output == "from p2");
    REQUIRE(r->attempts.size() == 2);
    REQUIRE(r->attempts[0].error);
    CHECK(r->attempts[0].error->code == taskkit::error_code::run_crashed);
    CHECK(r->attempts[0].finished_at == t(50));
    CHECK_FALSE(r->attempts[1].error);
}

TEST_CASE("a run whose lease expires with no attempt left ends crashed") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_once", .max_attempts = 1});
    create(s, {.id = "run_twice", .created = 0.5, .max_attempts = 2});
    auto once = claim_one(s, 1);
    auto twice = claim_one(s, 1);
    REQUIRE(once);
    REQUIRE(twice);
    // twice's first attempt fails and retries; its second attempt is lost to a crash too.
    s.finish(twice->lease, {.status = run_status::retrying, .retry_at = t(2)}, t(1.5));
    auto second = claim_one(s, 2);
    REQUIRE(second);
    CHECK(second->lease.run_id == "run_twice");
    CHECK(second->attempt_in_budget == 2);
    auto after = s.claim({.owner = "p2", .now = t(100), .free = {8, 8}});
    CHECK(after.runs.empty());
    CHECK(after.crashed == 2);
    REQUIRE(after.ended.size() == 2);
    for (const char* id : {"run_once", "run_twice"}) {
        auto r = s.find(id);
        REQUIRE(r);
        INFO(id);
        CHECK(r->status == run_status::crashed);
        REQUIRE(r->error);
        CHECK(r->error->code == taskkit::error_code::run_crashed);
        CHECK(contains(r->error->message, "no attempt left"));
        CHECK(r->finished_at == t(100));
    }
    CHECK(s.counts("q").executing == 0);
}

TEST_CASE("a waiting run whose process died is rescued like an executing one") {
    temp_dir dir;
    store::store s(options(dir.file()));
    s.declare_queue({.name = "q", .concurrency_limit = 1}, t(0));
    create(s, {.id = "run_w", .max_attempts = 3});
    create(s, {.id = "run_x", .created = 1});
    auto w = claim_one(s, 2);
    REQUIRE(w);
    REQUIRE(s.suspend(w->lease, {.runs = {"run_x"}}, t(3)));
    auto x = claim_one(s, 3);
    REQUIRE(x);
    REQUIRE(s.resume(w->lease, {8, 8}, t(4)) == store::resume_state::pending);
    complete(s, *x, 5);
    // The waiter's process is gone: its lease (from 2, 30 s) expires, and the run starts over.
    auto later = s.claim({.owner = "p2", .now = t(40), .free = {8, 8}});
    CHECK(later.rescued == 1);
    REQUIRE(later.runs.size() == 1);
    CHECK(later.runs[0].lease.run_id == "run_w");
    CHECK(later.runs[0].lease.attempt == 2);
    CHECK(s.counts("q").resuming == 0);
    CHECK(s.counts("q").executing == 1);
}

TEST_CASE("a run whose cancel was requested and whose lease expired ends canceled") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_a", .max_attempts = 3});
    auto c = claim_one(s, 0);
    REQUIRE(c);
    auto canceled = s.cancel("run_a", t(1));
    CHECK(canceled.changed);
    REQUIRE(canceled.stop_requested.size() == 1);
    CHECK(canceled.stop_requested[0].owner == "p1");
    CHECK(s.renew(c->lease, t(2)) == store::lease_state::cancel_requested);
    auto after = s.claim({.owner = "p2", .now = t(100), .free = {8, 8}});
    CHECK(after.runs.empty());
    CHECK(status_of(s, "run_a") == run_status::canceled);
}

TEST_CASE("an attempt ends completed, failed, timed out or canceled, with its output or error") {
    temp_dir dir;
    store::store s(options(dir.file()));
    for (const char* id : {"run_ok", "run_fail", "run_slow", "run_stop"}) create(s, {.id = id});
    auto claimed = s.claim({.owner = "p1", .now = t(1), .free = {8, 8}, .max_runs = 4});
    REQUIRE(claimed.runs.size() == 4);
    const auto boom = store::make_error("std::runtime_error", "boom", taskkit::error_code::run_failed);
    CHECK(complete(s, claimed.runs[0], 2, {{"sent", true}}).status == run_status::completed);
    CHECK(s.finish(claimed.runs[1].lease, {.status = run_status::failed, .error = boom}, t(2)).status ==
          run_status::failed);
    CHECK(s.finish(claimed.runs[2].lease, {.status = run_status::timed_out}, t(2)).status == run_status::timed_out);
    CHECK(s.finish(claimed.runs[3].lease, {.status = run_status::canceled}, t(2)).status == run_status::canceled);
    auto ok = s.find("run_ok");
    REQUIRE(ok);
    CHECK(ok->output == nlohmann::json{{"sent", true}});
    CHECK_FALSE(ok->error);
    CHECK(ok->finished_at == t(2));
    auto fail = s.find("run_fail");
    REQUIRE(fail);
    REQUIRE(fail->error);
    CHECK(fail->error->type == "std::runtime_error");
    CHECK(fail->error->message == "boom");
    REQUIRE(fail->attempts.at(0).error);
    CHECK(fail->attempts.at(0).error->message == "boom");
    CHECK(s.find("run_slow")->error->code == taskkit::error_code::run_timed_out);
    CHECK(s.find("run_stop")->error->code == taskkit::error_code::run_canceled);
    // Finishing twice is refused: the lease ended with the first outcome.
    CHECK_FALSE(complete(s, claimed.runs[0], 3).accepted);
    CHECK_THROWS_AS(s.finish(claimed.runs[0].lease, {.status = run_status::queued}, t(3)), taskkit::options_error);
}

TEST_CASE("a retrying run is due at its retry time, and canceled meanwhile it ends canceled and is owed its hooks") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_a", .max_attempts = 3});
    create(s, {.id = "run_b", .created = 0.1, .max_attempts = 3});
    auto a = claim_one(s, 1);
    auto b = claim_one(s, 1);
    REQUIRE(a);
    REQUIRE(b);
    auto retried = s.finish(a->lease, {.status = run_status::retrying, .retry_at = t(10)}, t(2));
    CHECK(retried.status == run_status::retrying);
    auto info = s.find("run_a");
    REQUIRE(info);
    CHECK(info->run_at == t(10));
    CHECK(claim_ids(s, 9).empty());
    auto again = claim_one(s, 10);
    REQUIRE(again);
    CHECK(again->lease.attempt == 2);
    CHECK(again->attempt_in_budget == 2);
    // b's cancel arrives during its attempt, which then asks for a retry: canceled instead.
    s.cancel("run_b", t(3));
    auto b_end = s.finish(b->lease, {.status = run_status::retrying, .retry_at = t(20)}, t(4));
    CHECK(b_end.status == run_status::canceled);
    CHECK(b_end.ended_between_attempts);
    // A run canceled while it waits to retry is owed its hooks too.
    auto a_end = s.finish(again->lease, {.status = run_status::retrying, .retry_at = t(30)}, t(11));
    CHECK(a_end.status == run_status::retrying);
    auto c = s.cancel("run_a", t(12));
    CHECK(c.canceled == ids{"run_a"});
    REQUIRE(c.ended.size() == 1);
    CHECK(c.ended[0].id == "run_a");
}

TEST_CASE("an attempt interrupted by shutdown queues its run again without using up an attempt") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_a", .max_attempts = 1});
    auto c = claim_one(s, 1);
    REQUIRE(c);
    auto end = s.finish(c->lease, {.status = run_status::canceled, .interrupted = true}, t(2));
    CHECK(end.status == run_status::queued);
    auto next = claim_one(s, 3, {8, 8}, "p2");
    REQUIRE(next);
    CHECK(next->lease.attempt == 2);
    CHECK(next->attempt_in_budget == 1);  // still within max_attempts 1
}

TEST_CASE("finish can claim the next run in the same transaction") {
    temp_dir dir;
    store::store s(options(dir.file()));
    s.declare_queue({.name = "q", .concurrency_limit = 1}, t(0));
    create(s, {.id = "run_a"});
    create(s, {.id = "run_b", .created = 1});
    auto a = claim_one(s, 2);
    REQUIRE(a);
    const store::claim_request next{.owner = "p1", .now = t(3), .free = {8, 8}};
    auto end = s.finish(a->lease, {.status = run_status::completed}, t(3), &next);
    REQUIRE(end.next);
    REQUIRE(end.next->runs.size() == 1);
    CHECK(end.next->runs[0].lease.run_id == "run_b");
}

TEST_CASE("a run whose older attempt still runs in the claiming process is passed over for the next of its key") {
    temp_dir dir;
    store::store p1(options(dir.file()));
    store::store p2(options(dir.file()));
    create(p1, {.id = "run_a", .max_attempts = 3});
    create(p1, {.id = "run_b", .created = 0.5, .max_attempts = 3});
    auto first = claim_one(p1, 1);
    REQUIRE(first);
    REQUIRE(first->lease.run_id == "run_a");
    // p1 stops renewing (starved of the write lock), its attempt still running; p2, which does not
    // define the task, rescues the run and leaves it queued.
    const std::vector<std::string> other_task{"other"};
    auto rescue = p2.claim({.owner = "p2", .now = t(40), .free = {8, 8}, .tasks = other_task});
    CHECK(rescue.rescued == 1);
    CHECK(rescue.runs.empty());
    CHECK(status_of(p1, "run_a") == run_status::queued);
    // p1, whose attempt of run_a has not returned, takes the next run of the key instead.
    const std::vector<std::string> busy{"run_a"};
    auto next = p1.claim({.owner = "p1", .now = t(41), .free = {8, 8}, .busy = busy});
    REQUIRE(next.runs.size() == 1);
    CHECK(next.runs[0].lease.run_id == "run_b");
    CHECK(p1.claim({.owner = "p1", .now = t(41), .free = {8, 8}, .busy = busy}).runs.empty());
    CHECK(status_of(p1, "run_a") == run_status::queued);
    // Once that attempt has returned (its outcome refused), p1 takes the run's second attempt.
    CHECK_FALSE(complete(p1, *first, 42, "stale").accepted);
    auto second = claim_one(p1, 43);
    REQUIRE(second);
    CHECK(second->lease.run_id == "run_a");
    CHECK(second->lease.attempt == 2);
    CHECK(complete(p1, *second, 44, "fresh").accepted);
    auto r = p1.find("run_a");
    REQUIRE(r);
    CHECK(r->status == run_status::completed);
    CHECK(r->output == "fresh");
}
