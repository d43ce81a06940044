// The in-memory store's index: lookups, collisions, deletion without tombstones, growth; and the
// store's retention window built on it.
#include <map>
#include <random>

#include <taskkit/detail/digest_index.hpp>
#include <taskkit/detail/run_index.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;

namespace {

struct item {
    int value;
};

/// A runtime without workers on a virtual clock, whose memory backend keeps `Retained` finished runs,
/// and a task that fails (once, no retries) for a negative payload.
template <std::size_t Retained>
struct store_fixture {
    taskkit::registry reg;
    taskkit::task<int, int> t{{.id = "kept",
                               .retry = {.max_attempts = 1},
                               .run =
                                   [](const int& n) {
                                       if (n < 0) throw std::runtime_error("negative");
                                       return n;
                                   }},
                              reg};
    taskkit::runtime rt{with_retention(reg)};

    static taskkit::runtime_options with_retention(taskkit::registry& reg) {
        auto opts = options(reg, 0, std::make_shared<taskkit::virtual_clock>());
        opts.backend = taskkit::memory_backend({.retained_finished = Retained});
        return opts;
    }
};

}  // namespace

TEST_CASE("digest_index finds what it holds, including entries that share a digest") {
    taskkit::detail::digest_index<item> index;
    auto a = std::make_shared<item>(item{1});
    auto b = std::make_shared<item>(item{2});
    auto c = std::make_shared<item>(item{3});
    index.insert(7, a);
    index.insert(7, b);  // same digest: both are kept
    index.insert(23, c);
    CHECK(index.size() == 3);
    auto by_value = [](int v) { return [v](const item& i) { return i.value == v; }; };
    REQUIRE(index.find(7, by_value(2)) != nullptr);
    CHECK(index.find(7, by_value(2))->get() == b.get());
    CHECK(index.find(7, by_value(1))->get() == a.get());
    CHECK(index.find(7, by_value(3)) == nullptr);  // the right value under another digest
    CHECK(index.find(8, by_value(1)) == nullptr);
    CHECK(index.erase(7, a.get()));
    CHECK_FALSE(index.erase(7, a.get()));
    CHECK(index.find(7, by_value(1)) == nullptr);
    CHECK(index.find(7, by_value(2)) != nullptr);
    CHECK(index.size() == 2);
}

TEST_CASE("digest_index agrees with std::multimap over random inserts and erases, with crowded digests") {
    taskkit::detail::digest_index<item> index;
    std::multimap<std::uint64_t, std::shared_ptr<item>> model;
    std::mt19937_64 random(42);
    int next_value = 0;
    for (int step = 0; step < 20'000; ++step) {
        // Few distinct digests and digests that collide in the low bits keep the probe chains long.
        const std::uint64_t digest = (random() % 64) * 1024 + (random() % 3);
        if (model.empty() || random() % 3 != 0) {
            auto value = std::make_shared<item>(item{next_value++});
            index.insert(digest, value);
            model.emplace(digest, value);
        } else {
            auto it = model.begin();
            std::advance(it, static_cast<long>(random() % model.size()));
            REQUIRE(index.erase(it->first, it->second.get()));
            model.erase(it);
        }
        if (step % 997 == 0) {
            REQUIRE(index.size() == model.size());
            for (const auto& [d, value] : model) {
                const auto* found = index.find(d, [&](const item& i) { return i.value == value->value; });
                REQUIRE(found != nullptr);
                REQUIRE(found->get() == value.get());
            }
            std::size_t visited = 0;
            index.for_each([&](const std::shared_ptr<item>&) { ++visited; });
            REQUIRE(visited == model.size());
        }
    }
}

TEST_CASE("run ids made one after another get neighbouring digests, other ids are hashed") {
    using taskkit::detail::run_id_digest;
    const auto a = run_id_digest("run_00000abcde0000000009");
    const auto b = run_id_digest("run_00000abcde000000000a");
    CHECK(b == a + 1);
    CHECK(run_id_digest("run_00000abcdf000000000a") != b);  // another runtime's salt
    CHECK(run_id_digest("run_00000abcde000000000A") != b);  // not a runtime's id: hashed
    CHECK(run_id_digest("run_x") == std::hash<std::string_view>{}("run_x"));
    CHECK(run_id_digest("") == std::hash<std::string_view>{}(""));
}

TEST_CASE_METHOD(store_fixture<3>, "the memory store keeps every unfinished run and the most recent finished ones") {
    auto failed = rt.trigger(t, -1);
    auto delayed = rt.trigger(t, 100, {.delay = std::chrono::hours(1)});
    rt.core()->run_ready();
    REQUIRE(failed.status() == taskkit::run_status::failed);
    failed.retry();  // unfinished again
    std::vector<taskkit::run_handle<int>> canceled;
    for (int i = 0; i < 3; ++i) {
        canceled.push_back(rt.trigger(t, i));
        REQUIRE(canceled.back().cancel());
    }
    // Three runs finished after the first failure: that finish left the window, the run stays.
    CHECK(rt.retrieve(failed.id()).has_value());
    CHECK(held_runs(rt) == 1 + 1 + 3);
    rt.core()->run_ready();  // fails again: the window is now canceled[1], canceled[2], failed
    REQUIRE(failed.status() == taskkit::run_status::failed);
    CHECK(rt.retrieve(failed.id()).has_value());
    CHECK_FALSE(rt.retrieve(canceled[0].id()).has_value());
    CHECK(rt.retrieve(canceled[2].id()).has_value());
    CHECK(held_runs(rt) == 1 + 3);

    std::vector<taskkit::run_handle<int>> done;
    for (int i = 0; i < 5; ++i) done.push_back(rt.trigger(t, i));
    rt.core()->run_ready();
    CHECK(held_runs(rt) == 1 + 3);  // the delayed run and the 3 most recent finished
    CHECK_FALSE(rt.retrieve(failed.id()).has_value());
    CHECK_FALSE(rt.retrieve(done[1].id()).has_value());
    CHECK(rt.retrieve(done[2].id()).has_value());
    CHECK(rt.retrieve(done[4].id())->output == 4);
    CHECK(rt.retrieve(delayed.id())->status == taskkit::run_status::delayed);
    CHECK(done[0].get() == 0);  // a handle outlives the store's record
    CHECK_FALSE(rt.retrieve("run_does_not_exist").has_value());
    CHECK_FALSE(rt.retrieve("").has_value());
}

TEST_CASE_METHOD(store_fixture<1>, "a run retried after the memory store forgot it is held again and only once") {
    auto failed = rt.trigger(t, -1);
    rt.core()->run_ready();
    REQUIRE(failed.status() == taskkit::run_status::failed);
    auto later = rt.trigger(t, 1);
    rt.core()->run_ready();
    REQUIRE(later.get() == 1);
    REQUIRE_FALSE(rt.retrieve(failed.id()).has_value());  // one finished run is kept: the later one
    CHECK(held_runs(rt) == 1);

    failed.retry();
    const auto held = rt.retrieve(failed.id());
    REQUIRE(held.has_value());
    CHECK(held->status == taskkit::run_status::queued);
    CHECK(held_runs(rt) == 2);
    const auto page = rt.list({.statuses = {taskkit::run_status::queued}});
    REQUIRE(page.runs.size() == 1);
    CHECK(page.runs[0].id == failed.id());

    rt.core()->run_ready();  // fails again, and is now the one finished run kept
    REQUIRE(failed.status() == taskkit::run_status::failed);
    CHECK(rt.retrieve(failed.id())->status == taskkit::run_status::failed);
    CHECK_FALSE(rt.retrieve(later.id()).has_value());
    CHECK(held_runs(rt) == 1);

    failed.retry();  // held this time: not added twice
    CHECK(held_runs(rt) == 1);
    rt.core()->run_ready();
    CHECK(held_runs(rt) == 1);
    CHECK(rt.retrieve(failed.id())->status == taskkit::run_status::failed);
}
