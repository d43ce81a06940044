// The SQLite backend through taskkit::backend, with a host that records what the backend asks of
// it: status events (its own and other processes'), wake-ups, stop requests, granted slots, timers
// on a virtual clock. Two backends on one file stand for two processes. Every wait has a deadline.
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include <taskkit/taskkit.hpp>

#include "sqlite_test_support.hpp"
#include "support/eventually.hpp"

using namespace sqlite_test;
using taskkit::run_status;
using taskkit_test::eventually;

namespace {

/// A runtime's object for a run, as a test makes one: only its id.
struct test_run final : taskkit::local_run {
    explicit test_run(std::string run_id) : id(std::move(run_id)) {}
    [[nodiscard]] std::string_view run_id() const noexcept override { return id; }
    std::string id;
};

std::shared_ptr<taskkit::local_run> object(const std::string& id) { return std::make_shared<test_run>(id); }

/// What a backend told its host.
struct seen_event {
    std::string run_id;
    run_status status;
    int attempt;
    bool local;
};

class recording_host final : public taskkit::backend_host {
public:
    recording_host(taskkit::registry& reg, std::shared_ptr<taskkit::virtual_clock> clock,
                   taskkit::machine capacity = {8, 16})
        : registry_(reg), clock_(std::move(clock)), as_clock_(clock_), capacity_(capacity) {}

    [[nodiscard]] const std::shared_ptr<taskkit::clock>& time() const override { return as_clock_; }
    [[nodiscard]] taskkit::registry& tasks() const override { return registry_; }
    [[nodiscard]] const taskkit::machine& capacity() const override { return capacity_; }

    void schedule(taskkit::time_point at, std::function<void()> fn) override {
        std::lock_guard lock(mutex_);
        timers_.emplace_back(at, std::move(fn));
    }
    void work_available() override {
        std::lock_guard lock(mutex_);
        ++work_;
        cv_.notify_all();
    }
    void status_changed(const taskkit::run_event& e) override {
        std::lock_guard lock(mutex_);
        events_.push_back({std::string(e.run_id), e.status, e.attempt, e.local != nullptr});
        cv_.notify_all();
    }
    void cancel_requested(const std::shared_ptr<taskkit::local_run>& run) override {
        std::lock_guard lock(mutex_);
        stops_.emplace_back(run->run_id());
        cv_.notify_all();
    }
    void ended_between_attempts(const std::shared_ptr<taskkit::local_run>& run, const taskkit::error_info&) override {
        std::lock_guard lock(mutex_);
        hooks_owed_.emplace_back(run->run_id());
    }
    void resume_granted(const std::shared_ptr<taskkit::local_run>& run) override {
        std::lock_guard lock(mutex_);
        granted_.emplace_back(run->run_id());
        cv_.notify_all();
    }
    std::shared_ptr<taskkit::local_run> held_run(std::string_view) override { return nullptr; }  // holds no runs

    /// Runs the timers due on the virtual clock; returns how many ran.
    int fire_due() {
        std::vector<std::function<void()>> due;
        {
            std::lock_guard lock(mutex_);
            for (auto it = timers_.begin(); it != timers_.end();) {
                if (it->first <= clock_->now()) {
                    due.push_back(std::move(it->second));
                    it = timers_.erase(it);
                } else {
                    ++it;
                }
            }
        }
        for (auto& fn : due) fn();
        return static_cast<int>(due.size());
    }
    [[nodiscard]] std::optional<taskkit::time_point> earliest_timer() {
        std::lock_guard lock(mutex_);
        std::optional<taskkit::time_point> at;
        for (const auto& [when, fn] : timers_)
            if (!at || when < *at) at = when;
        return at;
    }

    /// The statuses reported for `id`, in order.
    std::vector<run_status> statuses(const std::string& id) {
        std::lock_guard lock(mutex_);
        std::vector<run_status> out;
        for (const auto& e : events_)
            if (e.run_id == id) out.push_back(e.status);
        return out;
    }
    std::vector<seen_event> events() {
        std::lock_guard lock(mutex_);
        return events_;
    }
    /// Waits (with a deadline) until `id` was reported with `status`.
    bool wait_status(const std::string& id, run_status status,
                     std::chrono::seconds timeout = std::chrono::seconds(20)) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] {
            return std::any_of(events_.begin(), events_.end(),
                               [&](const seen_event& e) { return e.run_id == id && e.status == status; });
        });
    }
    bool wait_stop(const std::string& id) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, std::chrono::seconds(20),
                            [&] { return std::find(stops_.begin(), stops_.end(), id) != stops_.end(); });
    }
    bool wait_granted(const std::string& id) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, std::chrono::seconds(20),
                            [&] { return std::find(granted_.begin(), granted_.end(), id) != granted_.end(); });
    }
    int work() {
        std::lock_guard lock(mutex_);
        return work_;
    }
    std::vector<std::string> granted() {
        std::lock_guard lock(mutex_);
        return granted_;
    }
    std::vector<std::string> hooks_owed() {
        std::lock_guard lock(mutex_);
        return hooks_owed_;
    }

private:
    taskkit::registry& registry_;
    std::shared_ptr<taskkit::virtual_clock> clock_;
    std::shared_ptr<taskkit::clock> as_clock_;
    taskkit::machine capacity_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::pair<taskkit::time_point, std::function<void()>>> timers_;
    std::vector<seen_event> events_;
    std::vector<std::string> stops_;
    std::vector<std::string> hooks_owed_;
    std::vector<std::string> granted_;
    int work_ = 0;
};

/// A run request that owns its strings.
struct request_spec {
    std::string id;
    std::string task = "work";
    std::string queue = "work";
    std::string key;
    std::optional<double> run_at;  ///< seconds after the clock's start
    std::string idempotency_key;
    taskkit::machine machine = taskkit::machines::none;
    int max_attempts = 1;
    nlohmann::json metadata = nlohmann::json::object();
};

const taskkit::time_point origin = t(0);

taskkit::run_request request_of(const request_spec& spec, taskkit::time_point now) {
    taskkit::run_request r;
    r.id = spec.id;
    r.task_id = spec.task;
    r.queue = spec.queue;
    r.concurrency_key = spec.key;
    r.created_at = now;
    if (spec.run_at)
        r.run_at =
            origin + std::chrono::duration_cast<taskkit::clock::duration>(std::chrono::duration<double>(*spec.run_at));
    r.idempotency_key = spec.idempotency_key;
    r.idempotency_expires_at = now + std::chrono::hours(1);
    r.metadata = &spec.metadata;
    r.machine_spec = spec.machine;
    r.max_attempts = spec.max_attempts;
    return r;
}

/// A backend on `path` attached to its own recording host.
struct process {
    process(taskkit::registry& reg, std::shared_ptr<taskkit::virtual_clock> clock, const taskkit::sqlite_options& o,
            taskkit::machine capacity = {8, 16})
        : host(reg, std::move(clock), capacity), backend(taskkit::sqlite_backend(o)) {
        backend->attach(host);
    }
    process(const process&) = delete;
    process& operator=(const process&) = delete;
    ~process() {
        backend->shutdown();
        backend->detach();
    }
    taskkit::created_run create(const request_spec& spec) {
        return backend->create(request_of(spec, host.time()->now()));
    }
    /// Claims one run and gives the lease its object, as the runtime does.
    std::optional<taskkit::claimed_run> claim() {
        auto c = backend->claim();
        if (c && c->record) c->lease.run = object(c->record->id);
        return c;
    }
    std::optional<taskkit::claimed_run> complete(const taskkit::claimed_run& c, nlohmann::json output = nullptr,
                                                 bool claim_next = false) {
        taskkit::attempt_outcome o;
        o.status = run_status::completed;
        o.output = std::move(output);
        auto next = backend->finish(c.lease, o, claim_next);
        if (next && next->record) next->lease.run = object(next->record->id);
        return next;
    }
    recording_host host;
    std::shared_ptr<taskkit::backend> backend;
};

std::shared_ptr<taskkit::virtual_clock> make_clock() { return std::make_shared<taskkit::virtual_clock>(origin); }

/// A registry with the tasks these tests name: "work" (no limits), "one" (one at a time).
struct tasks {
    taskkit::registry reg;
    taskkit::task<nlohmann::json> work{{.id = "work", .run = [](const nlohmann::json&) {}}, reg};
    taskkit::task<nlohmann::json> one{
        {.id = "one", .queue = {.concurrency_limit = 1}, .run = [](const nlohmann::json&) {}}, reg};
};

taskkit::sqlite_options backend_options(const std::string& path) {
    auto o = options(path);
    o.poll_interval = 5ms;
    return o;
}

}  // namespace

TEST_CASE("the SQLite backend is durable and keeps no local runs") {
    temp_dir dir;
    auto b = taskkit::sqlite_backend(backend_options(dir.file()));
    CHECK_FALSE(b->traits().keeps_local_runs);
    CHECK(b->traits().durable);
    CHECK(b->local("run_x") == nullptr);
}

TEST_CASE("create reports queued or delayed before it returns, and an idempotency key answers with the earlier run") {
    temp_dir dir;
    tasks ts;
    process p(ts.reg, make_clock(), backend_options(dir.file()));
    const auto made = p.create({.id = "run_a", .idempotency_key = "k"});
    CHECK(made.id == "run_a");
    CHECK_FALSE(made.existing);
    CHECK(made.local == nullptr);
    CHECK(p.host.statuses("run_a") == std::vector{run_status::queued});
    for (const auto& e : p.host.events()) CHECK_FALSE(e.local);
    CHECK(p.host.work() > 0);

    const auto again = p.create({.id = "run_b", .idempotency_key = "k"});
    CHECK(again.id == "run_a");
    CHECK(again.existing);
    CHECK_FALSE(p.backend->find("run_b"));

    p.create({.id = "run_later", .run_at = 60});
    CHECK(p.host.statuses("run_later") == std::vector{run_status::delayed});
    auto r = p.backend->find("run_later");
    REQUIRE(r);
    CHECK(r->status == run_status::delayed);
}

TEST_CASE("claim hands over the record with a lease, and finish stores the JSON output and claims the next") {
    temp_dir dir;
    tasks ts;
    process p(ts.reg, make_clock(), backend_options(dir.file()));
    p.create({.id = "run_1", .max_attempts = 3, .metadata = {{"user", "ada"}}});
    p.create({.id = "run_2"});
    auto c = p.claim();
    REQUIRE(c);
    REQUIRE(c->record);
    CHECK(c->record->id == "run_1");
    CHECK(c->record->status == run_status::executing);
    CHECK(c->record->metadata == nlohmann::json{{"user", "ada"}});
    CHECK(c->lease.attempt == 1);
    CHECK(c->attempt_in_budget == 1);
    CHECK(c->lease.token != 0);
    REQUIRE(c->lease.expires_at);
    CHECK(*c->lease.expires_at == origin + 10s * 3);  // the tests' default lease: 30 s
    CHECK(p.host.statuses("run_1") == std::vector{run_status::queued, run_status::executing});

    auto next = p.complete(*c, {{"sent", true}}, true);
    REQUIRE(next);
    CHECK(next->record->id == "run_2");
    auto r = p.backend->find("run_1");
    REQUIRE(r);
    CHECK(r->status == run_status::completed);
    CHECK(r->output == nlohmann::json{{"sent", true}});
    CHECK(p.host.statuses("run_1") == std::vector{run_status::queued, run_status::executing, run_status::completed});
    CHECK_FALSE(p.complete(*next, nullptr, true));
    CHECK_FALSE(p.claim());
}

TEST_CASE("claims honour the runtime's machine budget, counting what this process's executing runs hold") {
    temp_dir dir;
    tasks ts;
    process p(ts.reg, make_clock(), backend_options(dir.file()), {2, 4});
    for (int i = 0; i < 3; ++i) p.create({.id = "run_" + std::to_string(i), .machine = {1, 2}});
    p.create({.id = "run_light", .queue = "light"});  // machines::none holds nothing: it always fits
    std::vector<taskkit::claimed_run> claimed;
    while (auto c = p.claim()) claimed.push_back(std::move(*c));
    std::set<std::string> ids;
    for (const auto& c : claimed) ids.insert(c.record->id);
    CHECK(ids == std::set<std::string>{"run_0", "run_1", "run_light"});  // run_2 waits: 2 of 2 cpus held
    for (const auto& c : claimed)
        if (c.record->id == "run_0") p.complete(c);
    auto c = p.claim();
    REQUIRE(c);
    CHECK(c->record->id == "run_2");
}

TEST_CASE(
    "a queue's limit from the task's definition holds, and a waiting run gives its slot back and takes it back first") {
    temp_dir dir;
    tasks ts;
    process p(ts.reg, make_clock(), backend_options(dir.file()));
    p.create({.id = "run_w", .task = "one", .queue = "one"});
    p.create({.id = "run_x", .task = "one", .queue = "one"});
    p.create({.id = "run_y", .task = "one", .queue = "one"});
    auto w = p.claim();
    REQUIRE(w);
    CHECK_FALSE(p.claim());  // concurrency_limit 1
    p.backend->suspend(w->lease, {});
    CHECK(p.host.statuses("run_w").back() == run_status::waiting);
    auto x = p.claim();
    REQUIRE(x);
    CHECK(x->record->id == "run_x");
    CHECK_FALSE(p.backend->resume(w->lease));  // run_x holds the slot: asked back
    p.complete(*x, nullptr, true);             // the slot goes to run_w, not to run_y
    CHECK(p.host.wait_granted("run_w"));
    CHECK(p.host.statuses("run_w").back() == run_status::executing);
    CHECK_FALSE(p.claim());
    p.complete(*w);
    auto y = p.claim();
    REQUIRE(y);
    CHECK(y->record->id == "run_y");
}

TEST_CASE("another process's triggers, finishes and cancels reach this runtime through the file") {
    temp_dir dir;
    tasks ts;
    auto clock = make_clock();
    process a(ts.reg, clock, backend_options(dir.file()));
    process b(ts.reg, clock, backend_options(dir.file()));
    const int work_before = b.host.work();
    a.create({.id = "run_from_a"});
    REQUIRE(b.host.wait_status("run_from_a", run_status::queued));
    CHECK(eventually([&] { return b.host.work() > work_before; }));
    auto c = b.claim();
    REQUIRE(c);
    CHECK(c->record->id == "run_from_a");
    REQUIRE(a.host.wait_status("run_from_a", run_status::executing));
    // A cancel made in process a stops the attempt executing in process b.
    CHECK(b.backend->renew(c->lease) == taskkit::lease_state::held);  // b learns its object
    CHECK(a.backend->cancel({"run_from_a", nullptr}));
    CHECK(b.host.wait_stop("run_from_a"));
    CHECK(b.backend->renew(c->lease) == taskkit::lease_state::cancel_requested);
    taskkit::attempt_outcome canceled;
    canceled.status = run_status::canceled;
    b.backend->finish(c->lease, canceled, false);
    CHECK(a.host.wait_status("run_from_a", run_status::canceled));
    // Each process saw the run's changes once each, in order.
    for (auto* p : {&a, &b})
        CHECK(p->host.statuses("run_from_a") ==
              std::vector{run_status::queued, run_status::executing, run_status::canceled});
}

TEST_CASE("the background thread renews this process's leases, and a lease that lapses is rescued by another process") {
    temp_dir dir;
    tasks ts;
    auto clock = make_clock();
    auto o = backend_options(dir.file());
    o.lease_duration = 3s;  // on the virtual clock
    process survivor(ts.reg, clock, o);
    std::int64_t first_expiry = 0;
    {
        process holder(ts.reg, clock, o);
        holder.create({.id = "run_r", .max_attempts = 2});
        auto c = holder.claim();
        REQUIRE(c);
        store::store reader(options(dir.file()));
        first_expiry = store::to_ns(*reader.inspect("run_r")->lease_expires_at);
        // A third of the lease passes: the holder's thread renews it.
        clock->advance(1100ms);
        CHECK(eventually([&] { return store::to_ns(*reader.inspect("run_r")->lease_expires_at) > first_expiry; }));
        // The survivor waits for that lease to lapse (a timer at its expiry, on the clock).
        REQUIRE(eventually([&] { return survivor.host.earliest_timer().has_value(); }));
        // The holder goes away without finishing the attempt (its backend is destroyed): nobody
        // renews the lease, which stays in the file.
    }
    clock->advance(5s);
    survivor.host.fire_due();
    CHECK(survivor.host.wait_status("run_r", run_status::queued));
    auto again = survivor.claim();
    REQUIRE(again);
    CHECK(again->record->id == "run_r");
    CHECK(again->lease.attempt == 2);
    CHECK(again->attempt_in_budget == 2);
    auto r = survivor.backend->find("run_r");
    REQUIRE(r);
    REQUIRE(r->attempts.size() == 2);
    REQUIRE(r->attempts[0].error);
    CHECK(r->attempts[0].error->code == taskkit::error_code::run_crashed);
}

TEST_CASE("a delayed run gets a timer at its due time, and the timer queues it") {
    temp_dir dir;
    tasks ts;
    auto clock = make_clock();
    process p(ts.reg, clock, backend_options(dir.file()));
    p.create({.id = "run_d", .run_at = 90});
    CHECK_FALSE(p.claim());
    REQUIRE(eventually([&] { return p.host.earliest_timer() == origin + 90s; }));
    clock->advance(90s);
    const int work_before = p.host.work();
    CHECK(p.host.fire_due() >= 1);
    CHECK(p.host.statuses("run_d") == std::vector{run_status::delayed, run_status::queued});
    CHECK(p.host.work() > work_before);
    auto c = p.claim();
    REQUIRE(c);
    CHECK(c->record->id == "run_d");
}

TEST_CASE("reschedule, retry and cancel through the backend, with their errors") {
    temp_dir dir;
    tasks ts;
    auto clock = make_clock();
    process p(ts.reg, clock, backend_options(dir.file()));
    p.create({.id = "run_d", .run_at = 90});
    p.backend->reschedule({"run_d", nullptr}, origin + 10s);
    CHECK(p.backend->find("run_d")->run_at == origin + 10s);
    CHECK_THROWS_AS(p.backend->retry({"run_d", nullptr}), taskkit::state_error);
    CHECK_THROWS_AS(p.backend->retry({"run_missing", nullptr}), taskkit::state_error);
    CHECK(p.backend->cancel({"run_d", nullptr}));
    CHECK_FALSE(p.backend->cancel({"run_d", nullptr}));  // ended already
    CHECK_FALSE(p.backend->cancel({"run_missing", nullptr}));
    CHECK_THROWS_AS(p.backend->reschedule({"run_d", nullptr}, origin), taskkit::state_error);
    p.backend->retry({"run_d", nullptr});
    CHECK(p.host.statuses("run_d") ==
          std::vector{run_status::delayed, run_status::delayed, run_status::canceled, run_status::queued});
    auto c = p.claim();
    REQUIRE(c);
    CHECK(c->attempt_in_budget == 1);
}

TEST_CASE("a run canceled while it waits to retry is owed its hooks in the process that ran its attempt") {
    temp_dir dir;
    tasks ts;
    auto clock = make_clock();
    process p(ts.reg, clock, backend_options(dir.file()));
    p.create({.id = "run_r", .max_attempts = 3});
    auto c = p.claim();
    REQUIRE(c);
    taskkit::attempt_outcome failed;
    failed.status = run_status::retrying;
    failed.error = taskkit::error_info{"std::runtime_error", "boom"};
    failed.retry_at = origin + 60s;
    p.backend->finish(c->lease, failed, false);
    CHECK(p.host.statuses("run_r").back() == run_status::retrying);
    CHECK(p.backend->cancel({"run_r", nullptr}));
    CHECK(p.host.hooks_owed() == std::vector<std::string>{"run_r"});
}

TEST_CASE("log lines, metadata and memoized steps are stored with the run") {
    temp_dir dir;
    tasks ts;
    process p(ts.reg, make_clock(), backend_options(dir.file()));
    p.create({.id = "run_l"});
    auto c = p.claim();
    REQUIRE(c);
    const auto& run = *c->lease.run;
    taskkit::log_entry line;
    line.level = taskkit::log_level::warn;
    line.message = "disk almost full";
    line.attempt = 1;
    p.backend->logged(run, line);
    p.backend->metadata_changed(run, {taskkit::metadata_operation::set, "progress", 0.5}, {{"progress", 0.5}});
    CHECK_FALSE(p.backend->step_result(run, "charge"));
    p.backend->save_step(run, "charge", {{"receipt", 42}});
    CHECK(p.backend->step_result(run, "charge") == nlohmann::json{{"receipt", 42}});
    auto r = p.backend->find("run_l");
    REQUIRE(r);
    REQUIRE(r->logs.size() == 1);
    CHECK(r->logs[0].message == "disk almost full");
    CHECK(r->logs[0].level == taskkit::log_level::warn);
    CHECK(r->metadata == nlohmann::json{{"progress", 0.5}});
    test_run stranger("run_unknown");
    CHECK_THROWS_AS(p.backend->save_step(stranger, "x", 1), taskkit::state_error);
}

TEST_CASE("after shutdown the backend claims nothing and refuses new runs, and queued runs stay for the next runtime") {
    temp_dir dir;
    tasks ts;
    {
        process p(ts.reg, make_clock(), backend_options(dir.file()));
        p.create({.id = "run_q"});
        p.backend->shutdown();
        CHECK_FALSE(p.claim());
        CHECK_THROWS_AS(p.create({.id = "run_late"}), taskkit::runtime_stopped_error);
        CHECK_THROWS_AS(p.backend->retry({"run_q", nullptr}), taskkit::runtime_stopped_error);
    }
    process next(ts.reg, make_clock(), backend_options(dir.file()));
    CHECK(next.backend->find("run_q")->status == run_status::queued);
    auto c = next.claim();
    REQUIRE(c);
    CHECK(c->record->id == "run_q");
}

TEST_CASE("bad options, bad input and bad files give typed errors") {
    temp_dir dir;
    CHECK_THROWS_AS(taskkit::sqlite_backend({.path = ""}), taskkit::sqlite_open_error);
    CHECK_THROWS_AS(taskkit::sqlite_backend({.path = dir.file("missing/folder/tasks.db")}), taskkit::sqlite_open_error);
    {
        std::ofstream junk(dir.file("junk.db"));
        junk << std::string(8192, 'x');
    }
    CHECK_THROWS_AS(taskkit::sqlite_backend({.path = dir.file("junk.db")}), taskkit::sqlite_corrupt_error);
    auto o = backend_options(dir.file());
    o.lease_duration = 0ms;
    CHECK_THROWS_AS(taskkit::sqlite_backend(o), taskkit::options_error);

    tasks ts;
    process p(ts.reg, make_clock(), backend_options(dir.file()));
    CHECK_THROWS_AS(p.create({.id = ""}), taskkit::options_error);
    CHECK_THROWS_AS(p.create({.id = "run_m", .metadata = nlohmann::json::array()}), taskkit::options_error);
    CHECK_THROWS_AS(p.backend->list({.cursor = "not a cursor"}), taskkit::options_error);
    CHECK_FALSE(p.backend->find("run_nothing"));
    // Every error of the backend's file is a sqlite_error, and a taskkit::error.
    try {
        (void)taskkit::sqlite_backend({.path = dir.file("junk.db")});
        FAIL("no error");
    } catch (const taskkit::error& e) {
        CHECK(e.code() == taskkit::error_code::store_failure);
        CHECK(contains(e.what(), "junk.db"));
    }
}

TEST_CASE("a process whose events were pruned while it was paused is told the status of every run changed since") {
    temp_dir dir;
    tasks ts;
    auto clock = make_clock();
    auto paused = backend_options(dir.file());
    paused.poll_interval = std::chrono::hours(1);  // it reads events only when it changes the file itself
    process a(ts.reg, clock, backend_options(dir.file()));
    process b(ts.reg, clock, paused);
    a.create({.id = "run_x"});
    auto c = a.claim();
    REQUIRE(c);
    a.complete(*c, 7);
    // Ten minutes later the events are pruned, before b read them.
    store::store(options(dir.file())).prune(origin + 11min);
    CHECK(b.host.statuses("run_x").empty());
    CHECK_FALSE(b.backend->cancel({"run_nothing", nullptr}));  // a call of b's that reads the events
    CHECK(b.host.statuses("run_x") == std::vector{run_status::completed});
}

TEST_CASE("a runtime claims runs of the tasks it defines only, leaving the others for a process that does") {
    temp_dir dir;
    tasks ts;
    taskkit::registry other;  // a process that defines no task of these
    taskkit::task<nlohmann::json> unrelated{{.id = "unrelated", .run = [](const nlohmann::json&) {}}, other};
    auto clock = make_clock();
    process knows(ts.reg, clock, backend_options(dir.file()));
    process stranger(other, clock, backend_options(dir.file()));
    knows.create({.id = "run_w"});
    CHECK_FALSE(stranger.claim());
    auto c = knows.claim();
    REQUIRE(c);
    CHECK(c->record->id == "run_w");
}
