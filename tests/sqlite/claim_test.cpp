// The claim transaction: concurrency limits, per-key limits, total caps, fair rotation, rate
// windows, priority, the machine budget, delays, ttl, and waiting runs taking their slot back first.
#include "sqlite_test_support.hpp"

using namespace sqlite_test;
using taskkit::run_status;
using ids = std::vector<std::string>;

namespace {

void declare(store::store& s, taskkit::queue_options q) { s.declare_queue(q, t(0)); }

/// Claims one run at a time, finishing each before the next, and returns the order.
ids drain_one_by_one(store::store& s, double now) {
    ids order;
    while (auto c = claim_one(s, now)) {
        order.push_back(c->lease.run_id);
        complete(s, *c, now);
    }
    return order;
}

}  // namespace

TEST_CASE("a queue's concurrency limit bounds its executing runs") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .concurrency_limit = 2});
    for (int i = 0; i < 5; ++i) create(s, {.id = "run_" + std::to_string(i), .created = i * 0.1});
    auto first = s.claim({.owner = "p1", .now = t(1), .free = {8, 8}, .max_runs = 10});
    REQUIRE(first.runs.size() == 2);
    CHECK(first.runs[0].lease.run_id == "run_0");
    CHECK(first.runs[1].lease.run_id == "run_1");
    CHECK(s.counts("q").executing == 2);
    CHECK(s.counts("q").queued == 3);
    CHECK(claim_ids(s, 1, 10).empty());
    complete(s, first.runs[0], 2);
    CHECK(claim_ids(s, 2, 10) == ids{"run_2"});
    // Another queue is not held back by this one's limit.
    create(s, {.id = "run_other", .queue = "other", .created = 3});
    CHECK(claim_ids(s, 3, 10) == ids{"run_other"});
}

TEST_CASE("a concurrency key gets its own copy of the queue's limit") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .concurrency_limit = 1});
    create(s, {.id = "run_a1", .key = "a", .created = 0});
    create(s, {.id = "run_a2", .key = "a", .created = 1});
    create(s, {.id = "run_b1", .key = "b", .created = 2});
    create(s, {.id = "run_b2", .key = "b", .created = 3});
    auto claimed = s.claim({.owner = "p1", .now = t(5), .free = {8, 8}, .max_runs = 10});
    REQUIRE(claimed.runs.size() == 2);
    CHECK(claimed.runs[0].lease.run_id == "run_a1");
    CHECK(claimed.runs[1].lease.run_id == "run_b1");
    CHECK(s.counts("q", "a").executing == 1);
    CHECK(claim_ids(s, 5, 10).empty());
    complete(s, claimed.runs[0], 6);
    CHECK(claim_ids(s, 6, 10) == ids{"run_a2"});
}

TEST_CASE("a queue's total cap bounds its executing runs across keys") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .concurrency_limit = 1, .total_concurrency_limit = 2});
    for (const char* k : {"a", "b", "c"}) create(s, {.id = std::string("run_") + k, .key = k});
    auto claimed = s.claim({.owner = "p1", .now = t(1), .free = {8, 8}, .max_runs = 10});
    REQUIRE(claimed.runs.size() == 2);
    CHECK(s.counts("q").executing == 2);
    CHECK(claim_ids(s, 1, 10).empty());
    complete(s, claimed.runs[1], 2);
    CHECK(claim_ids(s, 2, 10) == ids{"run_c"});
}

TEST_CASE("keys of a queue take turns: each key with queued runs starts one before any starts a second") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .concurrency_limit = 0, .total_concurrency_limit = 1});
    // Key a's runs are all older than b's and c's: rotation, not age, orders the keys.
    double when = 0;
    for (const char* k : {"a", "b", "c"})
        for (int i = 1; i <= 3; ++i)
            create(s, {.id = std::string("run_") + k + std::to_string(i), .key = k, .created = when++});
    CHECK(drain_one_by_one(s, 20) ==
          ids{"run_a1", "run_b1", "run_c1", "run_a2", "run_b2", "run_c2", "run_a3", "run_b3", "run_c3"});
}

TEST_CASE("a key that gets its first queued run joins the back of the rotation") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .total_concurrency_limit = 1});
    create(s, {.id = "run_a1", .key = "a", .created = 0});
    create(s, {.id = "run_a2", .key = "a", .created = 1});
    create(s, {.id = "run_b1", .key = "b", .created = 2});
    create(s, {.id = "run_b2", .key = "b", .created = 3});
    auto first = claim_one(s, 4);
    REQUIRE(first);
    CHECK(first->lease.run_id == "run_a1");
    complete(s, *first, 4);
    create(s, {.id = "run_c1", .key = "c", .created = 5});
    CHECK(drain_one_by_one(s, 6) == ids{"run_b1", "run_a2", "run_c1", "run_b2"});
}

TEST_CASE("queues take turns too") {
    temp_dir dir;
    store::store s(options(dir.file()));
    for (int i = 0; i < 3; ++i) create(s, {.id = "run_x" + std::to_string(i), .queue = "x", .created = i * 0.1});
    for (int i = 0; i < 3; ++i) create(s, {.id = "run_y" + std::to_string(i), .queue = "y", .created = 1 + i * 0.1});
    CHECK(claim_ids(s, 5, 4) == ids{"run_x0", "run_y0", "run_x1", "run_y1"});
}

TEST_CASE("a queue's rate limit allows at most N starts in any window of its period") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .rate_limit = taskkit::rate_limit{.limit = 2, .period = 10s}});
    for (int i = 0; i < 5; ++i) create(s, {.id = "run_" + std::to_string(i), .created = i * 0.01});
    auto first = s.claim({.owner = "p1", .now = t(1), .free = {8, 8}, .max_runs = 10});
    CHECK(first.runs.size() == 2);
    for (const auto& c : first.runs) complete(s, c, 1);  // finishing frees no start: starts are counted
    auto blocked = s.claim({.owner = "p1", .now = t(10.9), .free = {8, 8}, .max_runs = 10});
    CHECK(blocked.runs.empty());
    REQUIRE(blocked.next_wakeup);
    CHECK(*blocked.next_wakeup == t(11));
    CHECK(claim_ids(s, 11, 10).size() == 2);
    create(s, {.id = "run_5", .created = 12});
    CHECK(claim_ids(s, 15, 10).empty());  // the two starts at 11 fill the window until 21
    CHECK(claim_ids(s, 21, 10) == ids{"run_4", "run_5"});
}

TEST_CASE("a sliding rate window counts the starts of the last period, not of fixed windows") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .rate_limit = taskkit::rate_limit{.limit = 2, .period = 10s}});
    for (int i = 0; i < 6; ++i) create(s, {.id = "run_" + std::to_string(i), .created = i * 0.01});
    CHECK(claim_ids(s, 1, 1).size() == 1);    // starts: 1
    CHECK(claim_ids(s, 9, 10).size() == 1);   // starts: 1, 9
    CHECK(claim_ids(s, 10.5, 10).empty());    // 1 and 9 are in (0.5, 10.5]
    CHECK(claim_ids(s, 11, 10).size() == 1);  // 1 left the window: starts 9, 11
    CHECK(claim_ids(s, 18.9, 10).empty());
    CHECK(claim_ids(s, 19, 10).size() == 1);  // 9 left: starts 11, 19
}

TEST_CASE("a per-key rate limit holds for each key on its own") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .key_rate_limit = taskkit::rate_limit{.limit = 1, .period = 10s}});
    for (const char* k : {"a", "b"})
        for (int i = 1; i <= 3; ++i)
            create(s, {.id = std::string("run_") + k + std::to_string(i), .key = k, .created = i * 0.1});
    CHECK(claim_ids(s, 1, 10) == ids{"run_a1", "run_b1"});
    auto blocked = s.claim({.owner = "p1", .now = t(2), .free = {8, 8}, .max_runs = 10});
    CHECK(blocked.runs.empty());
    REQUIRE(blocked.next_wakeup);
    CHECK(*blocked.next_wakeup == t(11));
    CHECK(claim_ids(s, 11, 10) == ids{"run_a2", "run_b2"});
}

TEST_CASE("priority gives a run a head start of that many seconds, and equal ranks go first in, first out") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .concurrency_limit = 1});
    create(s, {.id = "run_old", .created = 0});
    create(s, {.id = "run_newer", .created = 5});
    create(s, {.id = "run_urgent", .priority = 10, .created = 8});    // rank -2: before both
    create(s, {.id = "run_bit_ahead", .priority = 2, .created = 6});  // rank 4: between them
    create(s, {.id = "run_same_1", .created = 7});
    create(s, {.id = "run_same_2", .created = 7});  // the same rank as run_same_1: after it
    CHECK(drain_one_by_one(s, 10) ==
          ids{"run_urgent", "run_old", "run_bit_ahead", "run_newer", "run_same_1", "run_same_2"});
}

TEST_CASE("a retried or released run keeps its rank") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .concurrency_limit = 1});
    create(s, {.id = "run_first", .created = 0, .max_attempts = 2});
    auto c = claim_one(s, 1);
    REQUIRE(c);
    create(s, {.id = "run_second", .created = 2});
    s.finish(c->lease, {.status = run_status::retrying, .retry_at = t(3)}, t(2));
    CHECK(drain_one_by_one(s, 4) == ids{"run_first", "run_second"});
}

TEST_CASE("the machine budget: a run starts only when its machine fits what the caller has free") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_big", .queue = "heavy", .created = 0, .machine = {.cpu = 2, .memory = 4}});
    create(s, {.id = "run_after_big", .queue = "heavy", .created = 1, .machine = {.cpu = 0.5, .memory = 0.5}});
    create(s, {.id = "run_small", .queue = "light", .created = 2, .machine = {.cpu = 0.5, .memory = 0.5}});
    create(s, {.id = "run_small_2", .queue = "light", .created = 3, .machine = {.cpu = 0.5, .memory = 0.5}});
    create(s, {.id = "run_none", .queue = "io", .created = 4});  // machines::none: never budgeted
    // 1 cpu / 1 GB free: the big run does not fit and keeps its place (the run behind it in its key
    // waits too); two small runs fit, and the run without a machine needs nothing.
    auto claimed = s.claim({.owner = "p1", .now = t(5), .free = {1, 1}, .max_runs = 10});
    ids got;
    for (const auto& c : claimed.runs) got.push_back(c.lease.run_id);
    std::sort(got.begin(), got.end());
    CHECK(got == ids{"run_none", "run_small", "run_small_2"});
    CHECK(claimed.runs[0].record.machine_spec.cpu >= 0);
    // Nothing free at all: still nothing for budgeted runs.
    CHECK(claim_ids(s, 6, 10, {0, 0}).empty());
    // Another process with room takes the big one, then the one behind it.
    CHECK(claim_ids(s, 6, 10, {4, 8}, "p2") == ids{"run_big", "run_after_big"});
}

TEST_CASE("a delayed run is queued when its time comes, and the claim says when that is") {
    temp_dir dir;
    store::store s(options(dir.file()));
    const auto made = create(s, {.id = "run_later", .created = 0, .run_at = 10});
    CHECK(made.status == run_status::delayed);
    auto early = s.claim({.owner = "p1", .now = t(5), .free = {8, 8}});
    CHECK(early.runs.empty());
    REQUIRE(early.next_wakeup);
    CHECK(*early.next_wakeup == t(10));
    s.reschedule("run_later", t(20), t(6));
    CHECK(claim_ids(s, 10).empty());
    auto due = s.claim({.owner = "p1", .now = t(20), .free = {8, 8}});
    CHECK(due.released == 1);
    REQUIRE(due.runs.size() == 1);
    CHECK(due.runs[0].record.started_at == t(20));
    // A run_at in the past is queued at once.
    CHECK(create(s, {.id = "run_past", .created = 21, .run_at = 1}).status == run_status::queued);
}

TEST_CASE("a run past its ttl that never started ends expired, and a started one does not") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .concurrency_limit = 1});
    create(s, {.id = "run_busy", .created = 0, .expires_at = 5, .max_attempts = 2});
    create(s, {.id = "run_stale", .created = 1, .expires_at = 5});
    create(s, {.id = "run_delayed_stale", .created = 1, .run_at = 8, .expires_at = 5});
    auto busy = claim_one(s, 2);
    REQUIRE(busy);
    CHECK(busy->lease.run_id == "run_busy");
    auto later = s.claim({.owner = "p1", .now = t(6), .free = {8, 8}});
    CHECK(later.expired == 2);
    CHECK(status_of(s, "run_stale") == run_status::expired);
    auto expired = s.find("run_delayed_stale");
    REQUIRE(expired);
    CHECK(expired->status == run_status::expired);
    REQUIRE(expired->error);
    CHECK(expired->error->code == taskkit::error_code::run_expired);
    CHECK(expired->finished_at == t(6));
    // The started run retries past its ttl: it is not expired.
    s.finish(busy->lease, {.status = run_status::retrying, .retry_at = t(7)}, t(6));
    auto again = claim_one(s, 8);
    REQUIRE(again);
    CHECK(again->lease.run_id == "run_busy");
}

TEST_CASE("a waiting run gives its slot back, and takes it back before any new run") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .concurrency_limit = 1});
    create(s, {.id = "run_parent", .created = 0});
    create(s, {.id = "run_child", .created = 1});
    create(s, {.id = "run_other", .created = 2});
    auto parent = claim_one(s, 3);
    REQUIRE(parent);
    CHECK(claim_ids(s, 3).empty());
    REQUIRE(s.suspend(parent->lease, {.runs = {"run_child"}}, t(4)));
    CHECK(status_of(s, "run_parent") == run_status::waiting);
    auto child = claim_one(s, 4);  // the slot went to the child
    REQUIRE(child);
    CHECK(child->lease.run_id == "run_child");
    // The parent asks its slot back while the child holds it: pending, served first.
    CHECK(s.resume(parent->lease, {8, 8}, t(5)) == store::resume_state::pending);
    CHECK(s.counts("q").resuming == 1);
    complete(s, *child, 6);
    auto next = s.claim({.owner = "p1", .now = t(6), .free = {8, 8}, .max_runs = 10});
    CHECK(next.resumed == ids{"run_parent"});
    CHECK(next.runs.empty());  // run_other waits: the parent holds the slot again
    CHECK(status_of(s, "run_parent") == run_status::executing);
    complete(s, *parent, 7);
    CHECK(claim_ids(s, 7) == ids{"run_other"});
}

TEST_CASE("a resume with a free slot is granted at once") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .concurrency_limit = 1});
    create(s, {.id = "run_a"});
    auto a = claim_one(s, 1);
    REQUIRE(a);
    REQUIRE(s.suspend(a->lease, {.until = t(5)}, t(2)));
    auto info = s.inspect("run_a");
    REQUIRE(info);
    REQUIRE(info->wait);
    CHECK(info->wait->until == t(5));
    CHECK(s.resume(a->lease, {8, 8}, t(5)) == store::resume_state::granted);
    CHECK(status_of(s, "run_a") == run_status::executing);
    CHECK(s.counts("q").executing == 1);
}

TEST_CASE("another process's waiting run that asked its slot back blocks new claims of its key") {
    temp_dir dir;
    store::store p1(options(dir.file()));
    store::store p2(options(dir.file()));
    declare(p1, {.name = "q", .concurrency_limit = 1});
    create(p1, {.id = "run_waiter"});
    create(p1, {.id = "run_holder", .created = 1});
    create(p1, {.id = "run_new", .created = 2});
    auto waiter = claim_one(p2, 3, {8, 8}, "p2");
    REQUIRE(waiter);
    REQUIRE(p2.suspend(waiter->lease, {}, t(3)));
    auto holder = claim_one(p1, 3);
    REQUIRE(holder);
    CHECK(p2.resume(waiter->lease, {8, 8}, t(4)) == store::resume_state::pending);
    complete(p1, *holder, 5);
    // p1's claim does not take the slot the waiter asked for; p2's grants it.
    CHECK(claim_ids(p1, 5).empty());
    CHECK(p2.grant_resumers("p2", {8, 8}, t(5)) == ids{"run_waiter"});
}

TEST_CASE("a waiting run asking its slot back under a total cap takes the cap's slot first") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .total_concurrency_limit = 1});
    create(s, {.id = "run_w", .key = "a"});
    create(s, {.id = "run_x", .key = "b", .created = 1});
    create(s, {.id = "run_y", .key = "c", .created = 2});
    auto w = claim_one(s, 3, {8, 8}, "p2");
    REQUIRE(w);
    REQUIRE(s.suspend(w->lease, {}, t(3)));
    auto x = claim_one(s, 3);
    REQUIRE(x);
    CHECK(x->lease.run_id == "run_x");
    CHECK(s.resume(w->lease, {8, 8}, t(4)) == store::resume_state::pending);
    complete(s, *x, 5);
    CHECK(claim_ids(s, 5).empty());  // run_y (another key) waits: the cap's slot is the waiter's
    CHECK(s.grant_resumers("p2", {8, 8}, t(5)) == ids{"run_w"});
}

TEST_CASE("claim_run claims one run itself when it may start now") {
    temp_dir dir;
    store::store s(options(dir.file()));
    declare(s, {.name = "q", .concurrency_limit = 1});
    create(s, {.id = "run_a"});
    create(s, {.id = "run_b", .created = 1});
    auto b = s.claim_run("run_b", "p1", t(2), {8, 8});
    REQUIRE(b);
    CHECK(b->lease.run_id == "run_b");
    CHECK(b->record.status == run_status::executing);
    CHECK_FALSE(s.claim_run("run_a", "p1", t(2), {8, 8}));  // the queue's one slot is taken
    CHECK_FALSE(s.claim_run("run_b", "p1", t(2), {8, 8}));  // not queued any more
    CHECK_FALSE(s.claim_run("run_missing", "p1", t(2), {8, 8}));
}

TEST_CASE("a claimed run carries its record, its lease and its attempt") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_a",
               .task = "send",
               .key = "user_1",
               .priority = 3,
               .tags = {"x", "y"},
               .payload = {{"to", "a@example.org"}},
               .machine = {.cpu = 1, .memory = 2},
               .max_attempts = 4,
               .batch = "batch_1"});
    auto c = claim_one(s, 1, {8, 8});
    REQUIRE(c);
    CHECK(c->lease.owner == "p1");
    CHECK(c->lease.token != 0);
    CHECK(c->lease.attempt == 1);
    CHECK(c->lease.expires_at == t(1) + 30s);
    CHECK(c->attempt_in_budget == 1);
    CHECK(c->max_attempts == 4);
    const auto& r = c->record;
    CHECK(r.id == "run_a");
    CHECK(r.task_id == "send");
    CHECK(r.status == run_status::executing);
    CHECK(r.payload == nlohmann::json{{"to", "a@example.org"}});
    CHECK(r.concurrency_key == "user_1");
    CHECK(r.priority == 3);
    CHECK(r.tags == ids{"x", "y"});
    CHECK(r.machine_spec == taskkit::machine{1, 2});
    CHECK(r.batch_id == "batch_1");
    CHECK(r.started_at == t(1));
    REQUIRE(r.attempts.size() == 1);
    CHECK(r.attempts[0].number == 1);
}

TEST_CASE("a claim takes runs of the caller's tasks only, and a run of another task keeps its place") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_a", .task = "a", .queue = "a", .created = 0});
    create(s, {.id = "run_b", .task = "b", .queue = "b", .created = 1});
    // A shared queue: the run of task a is first of its key, and a caller without task a waits.
    create(s, {.id = "run_shared_a", .task = "a", .queue = "shared", .created = 2});
    create(s, {.id = "run_shared_b", .task = "b", .queue = "shared", .created = 3});
    const std::vector<std::string> only_b{"b"};
    auto claimed = s.claim({.owner = "p1", .now = t(5), .free = {8, 8}, .max_runs = 10, .tasks = only_b});
    REQUIRE(claimed.runs.size() == 1);
    CHECK(claimed.runs[0].lease.run_id == "run_b");
    const std::vector<std::string> both{"a", "b"};
    claimed = s.claim({.owner = "p2", .now = t(6), .free = {8, 8}, .max_runs = 10, .tasks = both});
    std::vector<std::string> got;
    for (const auto& c : claimed.runs) got.push_back(c.lease.run_id);
    CHECK(got == ids{"run_a", "run_shared_a", "run_shared_b"});
}
