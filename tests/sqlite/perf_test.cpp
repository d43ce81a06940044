// Throughput of the store on one file, measured with small bounded loops and printed, never
// asserted (hidden: run with `test_sqlite [.perf]`, preferably in an optimized build).
#include <atomic>
#include <thread>

#include <taskkit/taskkit.hpp>

#include "sqlite_test_support.hpp"

using namespace sqlite_test;

namespace {

using clock_type = std::chrono::steady_clock;

double per_second(std::size_t n, clock_type::duration d) {
    return static_cast<double>(n) / std::chrono::duration<double>(d).count();
}

void report(const std::string& what, std::size_t n, clock_type::duration d) {
    fmt::print("  {:<58} {:>9.0f}/s  ({} in {:.2f} s)\n", what, per_second(n, d), n,
               std::chrono::duration<double>(d).count());
}

std::vector<run_spec> specs(int n, const std::string& prefix, int keys = 0) {
    std::vector<run_spec> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        out.push_back({.id = fmt::format("{}{:07}", prefix, i),
                       .key = keys ? "k" + std::to_string(i % keys) : "",
                       .created = i * 1e-6,
                       .payload = {{"to", "someone@example.org"}, {"i", i}}});
    return out;
}

void measure(taskkit::sqlite_synchronous sync, const char* name) {
    fmt::print("synchronous = {}:\n", name);
    constexpr int n = 2000;
    temp_dir dir;
    auto opts = options(dir.file());
    opts.synchronous = sync;
    {
        store::store s(opts);
        const auto runs = specs(n, "run_one_");
        const auto start = clock_type::now();
        for (const auto& r : runs) s.create(r.view(), t(0));
        report("create, one per transaction", runs.size(), clock_type::now() - start);
    }
    {
        store::store s(opts);
        const auto runs = specs(20 * n, "run_batch_");
        std::vector<store::new_run> views;
        for (const auto& r : runs) views.push_back(r.view());
        const auto start = clock_type::now();
        for (std::size_t i = 0; i < views.size(); i += 100)
            s.create(std::span(views).subspan(i, std::min<std::size_t>(100, views.size() - i)), t(0));
        report("create, batches of 100", runs.size(), clock_type::now() - start);
    }
    // Claim + finish, one run at a time, from one and from two connections (two "processes").
    for (int connections : {1, 2}) {
        for (std::size_t batch : {std::size_t{1}, std::size_t{16}}) {
            temp_dir d2;
            auto o2 = options(d2.file());
            o2.synchronous = sync;
            constexpr int runs = 3000;
            {
                store::store init(o2);
                const auto all = specs(runs, "run_", 50);
                std::vector<store::new_run> views;
                for (const auto& r : all) views.push_back(r.view());
                init.create(views, t(0));
            }
            std::atomic<std::size_t> done{0};
            const auto start = clock_type::now();
            const auto until = start + std::chrono::seconds(20);
            std::vector<std::thread> threads;
            for (int c = 0; c < connections; ++c)
                threads.emplace_back([&, c] {
                    store::store s(o2);
                    const auto owner = "p" + std::to_string(c);
                    const store::claim_request request{.owner = owner, .now = t(1), .free = {8, 8}, .max_runs = batch};
                    auto claimed = s.claim(request);
                    while (!claimed.runs.empty() && clock_type::now() < until) {
                        for (std::size_t i = 0; i + 1 < claimed.runs.size(); ++i)
                            s.finish(claimed.runs[i].lease, {.status = taskkit::run_status::completed}, t(2));
                        // The last finish of the batch claims the next batch in the same transaction.
                        auto end = s.finish(claimed.runs.back().lease, {.status = taskkit::run_status::completed}, t(2),
                                            &request);
                        done += claimed.runs.size();
                        claimed = end.next ? std::move(*end.next) : store::claim_result{};
                    }
                });
            for (auto& th : threads) th.join();
            report(fmt::format("claim + finish, {} connection(s), claims of {}", connections, batch), done.load(),
                   clock_type::now() - start);
        }
    }
}

}  // namespace

TEST_CASE("throughput of creates and claims on one file", "[.perf]") {
    measure(taskkit::sqlite_synchronous::normal, "NORMAL");
    measure(taskkit::sqlite_synchronous::full, "FULL");
}

TEST_CASE("throughput of stream chunks a run appends on one file", "[.perf]") {
    // One run appends 10,000 chunks (a small JSON object each, like an LLM's tokens) on a runtime
    // over the file, default options (synchronous FULL); timed from the first append until the
    // record read back from the file holds every chunk (the read flushes what is pending).
    constexpr int n = 10'000;
    for (const auto sync : {taskkit::sqlite_synchronous::full, taskkit::sqlite_synchronous::normal}) {
        temp_dir dir;
        taskkit::registry reg;
        std::atomic<std::int64_t> first_ns{0};
        taskkit::task<int> writer({.id = "writer",
                                   .run =
                                       [&](const int& count, taskkit::run_context& ctx) {
                                           auto tokens = ctx.stream("tokens");
                                           first_ns = clock_type::now().time_since_epoch().count();
                                           for (int i = 0; i < count; ++i) tokens.append({{"token", "word"}, {"i", i}});
                                       }},
                                  reg);
        auto o = taskkit::runtime_options{};
        o.registry = &reg;
        o.workers = 1;
        o.become_default = false;
        o.backend = taskkit::sqlite_backend({.path = dir.file(), .synchronous = sync});
        taskkit::runtime rt(o);
        auto handle = rt.trigger(writer, n);
        REQUIRE(handle.wait_for(std::chrono::seconds(120)));
        const auto record = rt.retrieve(handle.id());
        const auto end = clock_type::now();
        REQUIRE(record->streams.at("tokens").chunks.size() == static_cast<std::size_t>(n));
        report(fmt::format("stream chunks appended by one run, synchronous {}",
                           sync == taskkit::sqlite_synchronous::full ? "FULL" : "NORMAL"),
               n, end - clock_type::time_point(clock_type::duration(first_ns.load())));
    }
}
