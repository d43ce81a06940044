// What a queued run costs in memory: the run object's size is budgeted, because one more field in
// every run moves it into the allocator's next size class (bench_memory: 502 bytes per queued run,
// at most 512).
#include <taskkit/runtime.hpp>

#include "support/taskkit_test.hpp"

TEST_CASE("run_state: a queued run fits the size it had before the backend seam") {
#if defined(__x86_64__) && defined(__GLIBCXX__) && defined(__linux__)
    // 312 bytes with libstdc++ on x86-64 Linux (std::mutex 40, std::string 32). Fields that only
    // some runs need (the recorder of a database backend, tags, keys) live in run_extras; fields
    // that follow from others (the queue rank) are computed.
    CHECK(sizeof(taskkit::detail::run_state) <= 312);
    CHECK(sizeof(taskkit::detail::typed_output_state<int>) <= 320);
#else
    SUCCEED("the budget is measured on x86-64 Linux with libstdc++");
#endif
}

TEST_CASE("run_state: the queue rank is the trigger time minus the priority in seconds") {
    struct plain_run : taskkit::detail::typed_output_state<int> {
        nlohmann::json payload_json() const override { return nullptr; }
        bool set_output_json_locked(const nlohmann::json&) override { return false; }
    };
    plain_run run;
    run.created_at = taskkit::time_point{} + std::chrono::hours(1);
    run.priority = 30;
    CHECK(run.rank() == taskkit::time_point{} + std::chrono::hours(1) - std::chrono::seconds(30));
    CHECK(run.output_type() == &taskkit::detail::output_type_tag<int>);
    CHECK(run.recorder() == nullptr);
}
