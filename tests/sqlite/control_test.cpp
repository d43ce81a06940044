// Creating with idempotency keys, cancel with its cascade, retry, reschedule, the runs API (find
// and list with filters and paging), what attempts write (logs, metadata, hook errors, steps),
// schedule fires, and events.
#include "sqlite_test_support.hpp"

using namespace sqlite_test;
using taskkit::run_status;
using ids = std::vector<std::string>;

namespace {

ids page_ids(const taskkit::run_page& page) {
    ids out;
    for (const auto& r : page.runs) out.push_back(r.id);
    return out;
}

}  // namespace

TEST_CASE("an idempotency key answers with the earlier run until it expires or its run fails") {
    temp_dir dir;
    store::store s(options(dir.file()));
    const auto first = create(s, {.id = "run_1", .task = "send", .idempotency_key = "k", .idempotency_ttl = 100});
    CHECK_FALSE(first.existing);
    auto again = create(s, {.id = "run_2", .task = "send", .created = 1, .idempotency_key = "k"});
    CHECK(again.existing);
    CHECK(again.id == "run_1");
    CHECK_FALSE(s.find("run_2"));
    // Another task's key of the same name is another key.
    CHECK_FALSE(create(s, {.id = "run_3", .task = "other", .created = 2, .idempotency_key = "k"}).existing);
    // A completed run keeps answering.
    auto c = claim_one(s, 3);
    REQUIRE(c);
    REQUIRE(c->lease.run_id == "run_1");
    complete(s, *c, 4);
    CHECK(create(s, {.id = "run_4", .task = "send", .created = 5, .idempotency_key = "k"}).id == "run_1");
    // Past its expiry (created at 0, for 100 s) the key is free again.
    const auto later = create(s, {.id = "run_5", .task = "send", .created = 100, .idempotency_key = "k"});
    CHECK_FALSE(later.existing);
    CHECK(later.id == "run_5");
}

TEST_CASE("the idempotency key of a failed, canceled, expired or crashed run is released") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_fail", .task = "t1", .idempotency_key = "k"});
    create(s, {.id = "run_cancel", .task = "t2", .idempotency_key = "k"});
    create(s, {.id = "run_expire", .task = "t3", .expires_at = 1, .idempotency_key = "k"});
    create(s, {.id = "run_crash", .task = "t4", .idempotency_key = "k"});
    s.cancel("run_cancel", t(0.5));
    auto claimed = s.claim({.owner = "p1", .now = t(2), .free = {8, 8}, .max_runs = 10});  // expires run_expire
    REQUIRE(claimed.runs.size() == 2);
    for (const auto& c : claimed.runs)
        if (c.lease.run_id == "run_fail") s.finish(c.lease, {.status = run_status::failed}, t(3));
    s.claim({.owner = "p2", .now = t(100), .free = {8, 8}, .max_runs = 0});  // run_crash's lease expires
    REQUIRE(status_of(s, "run_crash") == run_status::crashed);
    for (const char* task : {"t1", "t2", "t3", "t4"}) {
        INFO(task);
        const auto made =
            create(s, {.id = std::string("run_new_") + task, .task = task, .created = 101, .idempotency_key = "k"});
        CHECK_FALSE(made.existing);
    }
}

TEST_CASE("a batch of runs is created in one transaction") {
    temp_dir dir;
    store::store s(options(dir.file()));
    std::vector<run_spec> specs;
    for (int i = 0; i < 50; ++i)
        specs.push_back({.id = "run_" + std::to_string(i), .created = i * 0.001, .batch = "b"});
    std::vector<store::new_run> views;
    for (const auto& spec : specs) views.push_back(spec.view());
    const auto made = s.create(views, t(1));
    CHECK(made.size() == 50);
    CHECK(s.counts("q").queued == 50);
    CHECK(s.find("run_7")->batch_id == "b");
}

TEST_CASE("cancel ends a run that has not started and requests the stop of one executing, with its children") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_parent"});
    auto parent = claim_one(s, 1);
    REQUIRE(parent);
    create(s, {.id = "run_child_queued", .created = 2, .parent = "run_parent"});
    create(s, {.id = "run_child_delayed", .created = 2, .run_at = 100, .parent = "run_parent"});
    create(s, {.id = "run_child_running", .created = 2, .parent = "run_parent"});
    create(s, {.id = "run_grandchild", .created = 3, .parent = "run_child_queued"});
    create(s, {.id = "run_child_done", .created = 3, .parent = "run_parent"});
    create(s, {.id = "run_done_grandchild", .created = 3, .parent = "run_child_done"});
    // run_child_running and run_child_done start; run_child_done completes.
    auto running = s.claim_run("run_child_running", "p2", t(4), {8, 8});
    auto done = s.claim_run("run_child_done", "p1", t(4), {8, 8});
    REQUIRE(running);
    REQUIRE(done);
    complete(s, *done, 5);
    CHECK(s.find("run_parent")->children.size() == 4);

    const auto result = s.cancel("run_parent", t(6));
    CHECK(result.changed);
    ids canceled = result.canceled;
    std::sort(canceled.begin(), canceled.end());
    CHECK(canceled == ids{"run_child_delayed", "run_child_queued", "run_grandchild"});
    ids stopped;
    for (const auto& r : result.stop_requested) stopped.push_back(r.id + "@" + r.owner);
    std::sort(stopped.begin(), stopped.end());
    CHECK(stopped == ids{"run_child_running@p2", "run_parent@p1"});
    CHECK(result.ended.empty());  // none of them had an attempt
    CHECK(status_of(s, "run_child_done") == run_status::completed);
    CHECK(status_of(s, "run_done_grandchild") == run_status::queued);  // the cascade stops at an ended run
    auto child = s.find("run_child_queued");
    REQUIRE(child);
    REQUIRE(child->error);
    CHECK(child->error->code == taskkit::error_code::run_canceled);
    // The executing runs end canceled when their attempts finish; a run their parent triggers now
    // starts canceled.
    CHECK(s.renew(parent->lease, t(7)) == store::lease_state::cancel_requested);
    CHECK(create(s, {.id = "run_late_child", .created = 7, .parent = "run_parent"}).status == run_status::canceled);
    // Canceling again changes nothing, and an ended run cannot be canceled.
    CHECK(s.cancel("run_parent", t(8)).canceled.empty());
    CHECK_FALSE(s.cancel("run_child_done", t(8)).changed);
    CHECK_FALSE(s.cancel("run_missing", t(8)).changed);
}

TEST_CASE("a chain thousands of runs deep is canceled without recursion") {
    temp_dir dir;
    store::store s(options(dir.file()));
    std::vector<run_spec> specs;
    for (int i = 0; i < 3000; ++i)
        specs.push_back(
            {.id = "run_" + std::to_string(i), .created = i * 1e-6, .parent = i ? "run_" + std::to_string(i - 1) : ""});
    std::vector<store::new_run> views;
    for (const auto& spec : specs) views.push_back(spec.view());
    s.create(views, t(1));
    CHECK(s.cancel("run_0", t(2)).canceled.size() == 3000);
    CHECK(status_of(s, "run_2999") == run_status::canceled);
}

TEST_CASE("retry queues a failed, canceled or timed-out run again with a fresh budget, keeping its id") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_a", .max_attempts = 1});
    auto c = claim_one(s, 1);
    REQUIRE(c);
    s.finish(c->lease, {.status = run_status::failed}, t(2));
    s.retry("run_a", t(3));
    auto r = s.find("run_a");
    REQUIRE(r);
    CHECK(r->status == run_status::queued);
    CHECK_FALSE(r->error);
    CHECK_FALSE(r->finished_at);
    auto again = claim_one(s, 4);
    REQUIRE(again);
    CHECK(again->lease.attempt == 2);
    CHECK(again->attempt_in_budget == 1);
    CHECK_THROWS_AS(s.retry("run_a", t(5)), taskkit::state_error);  // executing
    complete(s, *again, 5);
    CHECK_THROWS_AS(s.retry("run_a", t(6)), taskkit::state_error);  // completed
    CHECK_THROWS_AS(s.retry("run_missing", t(6)), taskkit::state_error);
}

TEST_CASE("reschedule moves a delayed run only") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_d", .run_at = 50});
    create(s, {.id = "run_q"});
    s.reschedule("run_d", t(5), t(1));
    CHECK(s.find("run_d")->run_at == t(5));
    CHECK_THROWS_AS(s.reschedule("run_q", t(5), t(1)), taskkit::state_error);
    CHECK(claim_ids(s, 5, 10) == ids{"run_q", "run_d"});
}

TEST_CASE("list filters by status, task, tag, queue and creation time, newest first, in pages") {
    temp_dir dir;
    store::store s(options(dir.file()));
    for (int i = 0; i < 30; ++i)
        create(s, {.id = fmt::format("run_{:02}", i),
                   .task = i % 2 ? "odd" : "even",
                   .queue = i % 3 ? "q" : "third",
                   .created = static_cast<double>(i / 2),  // pairs share a creation time: ordered by id
                   .tags = i % 5 == 0 ? std::vector<std::string>{"five", "any"} : std::vector<std::string>{"any"}});
    auto c = claim_one(s, 100);
    REQUIRE(c);
    REQUIRE(c->lease.run_id == "run_00");  // rotation between queues starts with run_00's
    complete(s, *c, 100);

    auto all = s.list({.limit = 100});
    REQUIRE(all.runs.size() == 30);
    CHECK(all.runs.front().id == "run_29");
    CHECK(all.runs[1].id == "run_28");
    CHECK(all.runs.back().id == "run_00");
    CHECK(all.next_cursor.empty());

    // Pages of 7, with the memory backend's cursor format.
    ids paged;
    std::string cursor;
    int pages = 0;
    do {
        auto page = s.list({.limit = 7, .cursor = cursor});
        for (const auto& r : page.runs) paged.push_back(r.id);
        cursor = page.next_cursor;
        ++pages;
        if (!cursor.empty())
            CHECK(cursor == fmt::format("{}:{}", store::to_ns(page.runs.back().created_at), page.runs.back().id));
    } while (!cursor.empty() && pages < 10);
    CHECK(pages == 5);
    CHECK(paged == page_ids(all));

    CHECK(page_ids(s.list({.statuses = {run_status::completed}})) == ids{"run_00"});
    CHECK(s.list({.tasks = {"odd"}}).runs.size() == 15);
    CHECK(s.list({.tasks = {"odd", "even"}}).runs.size() == 30);
    CHECK(page_ids(s.list({.tags = {"five", "any"}})) ==
          ids{"run_25", "run_20", "run_15", "run_10", "run_05", "run_00"});
    CHECK(s.list({.queue = "third"}).runs.size() == 10);
    CHECK(page_ids(s.list({.created_from = t(13), .created_to = t(14)})) == ids{"run_27", "run_26"});
    CHECK(page_ids(s.list({.statuses = {run_status::queued}, .tasks = {"odd"}, .queue = "third", .limit = 2})) ==
          ids{"run_27", "run_21"});
    CHECK_THROWS_AS(s.list({.cursor = "nonsense"}), taskkit::options_error);
}

TEST_CASE("a run's log lines are bounded, keeping the most recent") {
    temp_dir dir;
    auto opts = options(dir.file());
    opts.max_logs_per_run = 3;
    store::store s(opts);
    create(s, {.id = "run_a"});
    std::vector<taskkit::log_entry> lines;
    for (int i = 0; i < 4; ++i)
        lines.push_back({.time = t(i),
                         .level = taskkit::log_level::warn,
                         .message = "line " + std::to_string(i),
                         .attributes = {{"i", i}},
                         .attempt = 1});
    s.append_logs("run_a", lines);
    s.append_logs("run_a", std::span(lines).subspan(0, 1));
    auto r = s.find("run_a");
    REQUIRE(r);
    REQUIRE(r->logs.size() == 3);
    CHECK(r->logs[0].message == "line 2");
    CHECK(r->logs[1].message == "line 3");
    CHECK(r->logs[2].message == "line 0");
    CHECK(r->logs[0].attributes == nlohmann::json{{"i", 2}});
    CHECK(r->logs[0].level == taskkit::log_level::warn);
    CHECK(r->logs[0].run_id == "run_a");
    CHECK(r->dropped_logs == 2);
    CHECK_THROWS_AS(s.append_logs("run_missing", lines), taskkit::state_error);
}

TEST_CASE("metadata and hook errors are stored with the run") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_a"});
    s.set_metadata("run_a", {{"progress", 0.5}}, t(1));
    s.add_hook_error("run_a", store::make_error("std::logic_error", "on_start threw", taskkit::error_code::aborted),
                     t(1));
    s.add_hook_error("run_a", store::make_error("std::logic_error", "cleanup threw", taskkit::error_code::aborted),
                     t(1));
    auto r = s.find("run_a");
    REQUIRE(r);
    CHECK(r->metadata == nlohmann::json{{"progress", 0.5}});
    REQUIRE(r->hook_errors.size() == 2);
    CHECK(r->hook_errors[1].message == "cleanup threw");
    CHECK(r->hook_errors[1].code == taskkit::error_code::aborted);
    CHECK_THROWS_AS(s.set_metadata("run_missing", {}, t(1)), taskkit::state_error);
}

TEST_CASE("a memoized step's result is stored once it completes and read by a later attempt") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_a", .max_attempts = 2});
    auto first = claim_one(s, 1);
    REQUIRE(first);
    CHECK_FALSE(s.step_result("run_a", "charge"));
    CHECK(s.save_step(first->lease, "charge", {{"charge_id", "ch_1"}}, t(2)));
    s.finish(first->lease, {.status = run_status::retrying, .retry_at = t(3)}, t(2));
    CHECK_FALSE(s.save_step(first->lease, "email", true, t(2)));  // the attempt ended
    auto second = claim_one(s, 3);
    REQUIRE(second);
    auto stored = s.step_result("run_a", "charge");
    REQUIRE(stored);
    CHECK(*stored == nlohmann::json{{"charge_id", "ch_1"}});
    CHECK_FALSE(s.step_result("run_a", "email"));
}

TEST_CASE("a schedule fires once per nominal time across processes") {
    temp_dir dir;
    store::store p1(options(dir.file()));
    store::store p2(options(dir.file()));
    CHECK(p1.claim_schedule_fire("daily-report", t(3600), "p1", t(3600)));
    CHECK_FALSE(p2.claim_schedule_fire("daily-report", t(3600), "p2", t(3600.01)));
    CHECK(p2.claim_schedule_fire("daily-report", t(7200), "p2", t(7200)));
    CHECK(p2.claim_schedule_fire("other", t(3600), "p2", t(3600)));
}

TEST_CASE("events let a process follow the status changes another process makes") {
    temp_dir dir;
    store::store p1(options(dir.file()));
    store::store p2(options(dir.file()));
    const auto start = p2.last_event_seq();
    create(p1, {.id = "run_a", .max_attempts = 2});
    auto c = claim_one(p1, 1);
    REQUIRE(c);
    p1.finish(c->lease, {.status = run_status::retrying, .retry_at = t(2)}, t(1.5));
    auto again = claim_one(p1, 2);
    REQUIRE(again);
    p1.cancel("run_a", t(2.5));
    complete(p1, *again, 3);
    auto batch = p2.events_since(start);
    CHECK_FALSE(batch.missed);
    std::vector<std::string> seen;
    for (const auto& e : batch.events)
        seen.push_back(fmt::format("{}{}:{}", e.what == store::event::kind::cancel_requested ? "cancel " : "",
                                   taskkit::to_string(e.status), e.attempt));
    CHECK(seen == std::vector<std::string>{"queued:0", "executing:1", "retrying:1", "queued:0", "executing:2",
                                           "cancel executing:2", "completed:2"});
    CHECK(batch.events[1].owner == "p1");
    CHECK(batch.events[1].at == t(1));
    CHECK(batch.last_seq == batch.events.back().seq);
    CHECK(p2.events_since(batch.last_seq).events.empty());
    // Pruned after their retention (10 minutes): a follower that fell behind is told so.
    p1.prune(t(3 + 601));
    auto late = p2.events_since(start);
    CHECK(late.missed);
    CHECK(late.events.empty());
    CHECK(late.pruned_through == batch.last_seq);
    CHECK(p2.last_event_seq() == batch.last_seq);  // pruned events count
    // What such a follower reads instead: each run changed since, with its status now.
    const auto changed = p2.changed_since(t(0));
    REQUIRE(changed.size() == 1);
    CHECK(changed[0].run_id == "run_a");
    CHECK(changed[0].status == run_status::completed);
    CHECK(changed[0].attempt == 2);
    CHECK(p2.changed_since(t(4)).empty());
}
