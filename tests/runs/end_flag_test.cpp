// The flag a run's end sets and threads outside any runtime wait on.
#include <atomic>
#include <thread>
#include <vector>

#include <taskkit/detail/end_flag.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;

TEST_CASE("end_flag: wait returns at once when set, and blocks until set otherwise") {
    taskkit::detail::end_flag flag;
    CHECK_FALSE(flag.load());
    flag.store(true);
    CHECK(flag.load());
    flag.wait();        // set: returns without blocking
    flag.notify_all();  // nobody waits: nothing to wake

    flag.store(false);  // queued again (retry)
    CHECK_FALSE(flag.load());
    std::atomic<int> woken{0};
    std::vector<std::thread> waiters;
    for (int i = 0; i < 3; ++i)
        waiters.emplace_back([&] {
            flag.wait();
            woken.fetch_add(1);
        });
    CHECK(woken.load() == 0);  // no waiter passes before the flag is set
    flag.store(true, std::memory_order_release);
    flag.notify_all();
    for (auto& t : waiters) t.join();  // a lost wake-up hangs here, and the test's timeout fails it
    CHECK(woken.load() == 3);
}

TEST_CASE("end_flag: a waiter arriving while the flag is set and notified never misses it") {
    // Many short rounds: each a waiter racing the setter, in both orders.
    for (int round = 0; round < 2'000; ++round) {
        taskkit::detail::end_flag flag;
        std::thread waiter([&] { flag.wait(); });
        if (round % 2 == 0) std::this_thread::yield();
        flag.store(true);
        flag.notify_all();
        waiter.join();
        CHECK(flag.load());
    }
}
