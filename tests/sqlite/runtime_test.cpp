// taskkit::runtime over the SQLite backend: runs that outlive their runtime, a delayed run due
// while no runtime was up, and two runtimes on one file sharing its work as two processes would,
// with queue limits and idempotency keys holding across both. Each runtime has a registry of its
// own, as a process would. Every wait has a deadline.
#include <atomic>
#include <set>
#include <thread>

#include <taskkit/taskkit.hpp>

#include "sqlite_test_support.hpp"
#include "support/taskkit_test.hpp"

using namespace sqlite_test;
using taskkit::run_status;
using taskkit_test::eventually;
using taskkit_test::peak_counter;

namespace {

struct order {
    std::string id;
    int amount = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(order, id, amount)

struct receipt {
    std::string order_id;
    int charged = 0;
    int attempt = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(receipt, order_id, charged, attempt)

taskkit::sqlite_options file_options(const std::string& path) {
    auto o = options(path);
    o.poll_interval = 5ms;
    return o;
}

/// A runtime on the file: `workers` 0 is a runtime that runs nothing unless driven (it only
/// triggers, here), as a process that goes down before its workers get to the runs.
taskkit::runtime_options on_file(taskkit::registry& reg, const taskkit::sqlite_options& o, unsigned workers = 2,
                                 std::shared_ptr<taskkit::clock> clock = nullptr) {
    auto r = taskkit_test::options(reg, workers, std::move(clock));
    r.backend = taskkit::sqlite_backend(o);
    r.become_default = false;
    return r;
}

/// The "charge" task of one process: counts its executions.
struct charge_process {
    explicit charge_process(std::atomic<int>* executions = nullptr)
        : charge({.id = "charge",
                  .run =
                      [executions](const order& o, taskkit::run_context& ctx) {
                          if (executions) ++*executions;
                          ctx.logger().info("charging {}", o.id);
                          return receipt{o.id, o.amount, ctx.attempt().number};
                      }},
                 reg) {}
    taskkit::registry reg;
    taskkit::task<order, receipt> charge;
};

}  // namespace

TEST_CASE("a run on the SQLite backend executes, and its record is read from the file") {
    temp_dir dir;
    charge_process p;
    taskkit::runtime rt(on_file(p.reg, file_options(dir.file())));
    auto h = rt.trigger(p.charge, order{"o-1", 30});
    REQUIRE(h.wait_for(taskkit_test::deadline));
    CHECK(h.status() == run_status::completed);
    const auto r = h.get();
    CHECK(r.order_id == "o-1");
    CHECK(r.charged == 30);
    CHECK(r.attempt == 1);
    // Another connection to the file sees the same record.
    store::store reader(options(dir.file()));
    auto record = reader.find(h.id());
    REQUIRE(record);
    CHECK(record->status == run_status::completed);
    CHECK(record->payload == nlohmann::json{{"id", "o-1"}, {"amount", 30}});
    CHECK(record->output["charged"] == 30);
    REQUIRE(record->logs.size() == 1);
    CHECK(record->logs[0].message == "charging o-1");
}

TEST_CASE("a run triggered by a runtime that went down before running it is run by the next runtime on the file") {
    temp_dir dir;
    const auto o = file_options(dir.file());
    std::string id;
    {
        charge_process first;
        taskkit::runtime rt(on_file(first.reg, o, 0));
        auto h = rt.trigger(first.charge, order{"o-2", 12});
        id = h.id();
        CHECK(h.status() == run_status::queued);
    }  // down, the run still queued
    {
        store::store reader(options(dir.file()));
        CHECK(status_of(reader, id) == run_status::queued);
    }
    std::atomic<int> executions{0};
    charge_process second(&executions);
    taskkit::runtime rt(on_file(second.reg, o));
    auto h = rt.handle(id);
    REQUIRE(h);
    REQUIRE(h->wait_for(taskkit_test::deadline));
    CHECK(h->status() == run_status::completed);
    CHECK(h->get()["charged"] == 12);
    CHECK(executions == 1);
}

TEST_CASE("a delayed run that fell due while no runtime was up runs when the next one starts") {
    temp_dir dir;
    const auto o = file_options(dir.file());
    const auto start = taskkit::time_point(std::chrono::seconds(1'800'000'000));
    std::string id;
    {
        charge_process first;
        auto clock = std::make_shared<taskkit::virtual_clock>(start);
        taskkit::runtime rt(on_file(first.reg, o, 2, clock));
        auto h = rt.trigger(first.charge, order{"o-3", 5}, {.delay = std::chrono::hours(1)});
        id = h.id();
        CHECK(h.status() == run_status::delayed);
    }
    // The next runtime starts two hours later.
    std::atomic<int> executions{0};
    charge_process second(&executions);
    auto later = std::make_shared<taskkit::virtual_clock>(start + std::chrono::hours(2));
    taskkit::runtime rt(on_file(second.reg, o, 2, later));
    auto h = rt.handle(id);
    REQUIRE(h);
    REQUIRE(h->wait_for(taskkit_test::deadline));
    CHECK(h->status() == run_status::completed);
    CHECK(executions == 1);
}

TEST_CASE("two runtimes on one file share its runs, and a queue's concurrency_limit holds across both") {
    temp_dir dir;
    const auto o = file_options(dir.file());
    peak_counter counter;
    std::atomic<int> ran_a{0};
    std::atomic<int> ran_b{0};
    std::mutex ids_mutex;
    std::multiset<std::string> executed;
    auto define = [&](taskkit::registry& reg, std::atomic<int>& ran) {
        return taskkit::task<int>({.id = "limited",
                                   .queue = {.concurrency_limit = 2},
                                   .run =
                                       [&](const int&, taskkit::run_context& ctx) {
                                           counter.enter();
                                           ++ran;
                                           {
                                               std::lock_guard lock(ids_mutex);
                                               executed.insert(std::string(ctx.run().id));
                                           }
                                           std::this_thread::sleep_for(3ms);  // work, so that runs overlap
                                           counter.leave();
                                       }},
                                  reg);
    };
    taskkit::registry reg_a;
    taskkit::registry reg_b;
    auto task_a = define(reg_a, ran_a);
    auto task_b = define(reg_b, ran_b);
    // One worker each: the limit's two slots can only both be in use when both runtimes execute.
    taskkit::runtime a(on_file(reg_a, o, 1));
    taskkit::runtime b(on_file(reg_b, o, 1));
    std::vector<taskkit::run_handle<void>> handles;
    for (int i = 0; i < 30; ++i) handles.push_back(i % 2 ? a.trigger(task_a, i) : b.trigger(task_b, i));
    for (auto& h : handles) REQUIRE(h.wait_for(taskkit_test::deadline));
    for (auto& h : handles) CHECK(h.status() == run_status::completed);
    CHECK(counter.peak.load() <= 2);
    CHECK(ran_a + ran_b == 30);
    CHECK(ran_a > 0);
    CHECK(ran_b > 0);
    std::lock_guard lock(ids_mutex);
    CHECK(std::set<std::string>(executed.begin(), executed.end()).size() == executed.size());  // none ran twice
}

TEST_CASE("an idempotency key holds across two runtimes on one file") {
    temp_dir dir;
    const auto o = file_options(dir.file());
    std::atomic<int> executions{0};
    charge_process pa(&executions);
    charge_process pb(&executions);
    taskkit::runtime a(on_file(pa.reg, o));
    taskkit::runtime b(on_file(pb.reg, o));
    std::vector<std::string> ids(8);
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            auto& p = i % 2 ? pa : pb;
            auto& rt = i % 2 ? a : b;
            auto h = rt.trigger(p.charge, order{"o-4", 7}, {.idempotency_key = "order-o-4"});
            ids[static_cast<std::size_t>(i)] = h.id();
            (void)h.wait_for(taskkit_test::deadline);
        });
    for (auto& th : threads) th.join();
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 1);
    auto h = a.handle(ids[0]);
    REQUIRE(h);
    REQUIRE(h->wait_for(taskkit_test::deadline));
    CHECK(h->status() == run_status::completed);
    CHECK(executions == 1);
    CHECK(a.list({.limit = 100}).runs.size() == 1);
}

// The backend finds the runtime's object for a run it claimed through backend_host::held_run, so a
// cancel made in another process reaches an attempt that neither waits nor hands its lease back.
TEST_CASE("a cancel in one runtime stops the attempt another runtime on the file executes", "[cross-process]") {
    temp_dir dir;
    const auto o = file_options(dir.file());
    taskkit_test::gate started;
    taskkit::registry reg_a;
    taskkit::registry reg_b;
    taskkit::task<int> slow_a({.id = "slow", .run = [](const int&) {}}, reg_a);
    taskkit::task<int> slow_b({.id = "slow",
                               .run =
                                   [&](const int&, taskkit::run_context& ctx) {
                                       started.open();
                                       taskkit_test::wait_for_stop(ctx);
                                   }},
                              reg_b);
    taskkit::runtime a(on_file(reg_a, o, 0));  // triggers only
    taskkit::runtime b(on_file(reg_b, o, 1));
    auto h = a.trigger(slow_a, 1);
    REQUIRE(started.wait());
    CHECK(a.cancel(h.id()));
    auto hb = b.handle(h.id());
    REQUIRE(hb);
    REQUIRE(hb->wait_for(std::chrono::seconds(10)));
    CHECK(hb->status() == run_status::canceled);
}

TEST_CASE("a run whose lease lapsed in a live process gets its next attempt there only once the old one has returned",
          "[cross-process]") {
    // A process starved of the write lock for longer than its leases, its attempts still running:
    // another process rescues the run. The process that held it must not start the next attempt
    // beside the old one on the same run's object (the loss it then notices would stop both, and
    // the old attempt's writes would pass for the new one's); it passes the run over until the
    // old attempt has returned, or leaves it to another process.
    temp_dir dir;
    auto o = file_options(dir.file());
    o.lease_duration = 2s;
    taskkit_test::gate started;
    std::atomic<bool> first_returned{false};
    std::atomic<bool> overlapped{false};
    taskkit::registry reg;
    taskkit::task<int, int> slow({.id = "slow",
                                  .retry = {.max_attempts = 3},
                                  .run =
                                      [&](const int& n, taskkit::run_context& ctx) {
                                          if (ctx.attempt().number == 1) {
                                              started.open();
                                              taskkit_test::wait_for_stop(ctx);  // stopped once the loss is seen
                                              first_returned = true;
                                              return n;
                                          }
                                          if (!first_returned) overlapped = true;
                                          return n * 10;
                                      }},
                                 reg);
    taskkit::runtime rt(on_file(reg, o, 2));
    auto h = rt.trigger(slow, 4);
    REQUIRE(started.wait());
    // Another process, which does not define the task, finds the lease lapsed (its clock an hour
    // ahead, as if this one had not renewed for that long) and rescues the run, leaving it queued.
    store::store other(options(dir.file()));
    const std::vector<std::string> other_tasks{"other"};
    const auto rescue = other.claim(
        {.owner = "other", .now = std::chrono::system_clock::now() + 1h, .free = {8, 8}, .tasks = other_tasks});
    CHECK(rescue.rescued == 1);
    CHECK(rescue.runs.empty());
    REQUIRE(h.wait_for(30s));
    CHECK_FALSE(overlapped.load());
    CHECK(first_returned.load());
    CHECK(h.status() == run_status::completed);
    CHECK(h.get() == 40);
    const auto r = other.find(h.id());
    REQUIRE(r);
    CHECK(r->status == run_status::completed);
    REQUIRE(r->attempts.size() == 2);
    REQUIRE(r->attempts[0].error);
    CHECK(r->attempts[0].error->code == taskkit::error_code::run_crashed);
    CHECK_FALSE(r->attempts[1].error);
}
