// The memory backend's locks: a mutex that retries for a moment before it sleeps must still
// exclude, whether a thread gets it while retrying or after sleeping.
#include <atomic>
#include <thread>
#include <vector>

#include <taskkit/detail/brief_mutex.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;

TEST_CASE("brief_mutex excludes, whether a thread takes it while retrying or after sleeping",
          "[concurrency][brief_mutex]") {
    taskkit::detail::brief_mutex mutex;
    // Plain (not atomic) counters: a lost exclusion shows as a wrong total, and TSan reports it.
    long total = 0;
    int inside = 0;
    std::atomic<int> overlaps{0};
    constexpr int threads = 4;
    constexpr int rounds = 20000;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (int i = 0; i < rounds; ++i) {
                std::lock_guard lock(mutex);
                if (++inside != 1) overlaps.fetch_add(1, std::memory_order_relaxed);
                total += 1;
                // Every 64th hold is long enough that the others give up retrying and sleep.
                if ((i + t) % 64 == 0) {
                    std::atomic<int> sink{0};
                    for (int spin = 0; spin < 2000; ++spin) sink.store(spin, std::memory_order_relaxed);
                }
                --inside;
            }
        });
    for (auto& thread : pool) thread.join();
    CHECK(overlaps.load() == 0);
    CHECK(total == long{threads} * rounds);
}

TEST_CASE("brief_mutex try_lock fails while it is held and succeeds once it is released",
          "[concurrency][brief_mutex]") {
    taskkit::detail::brief_mutex mutex;
    mutex.lock();
    bool taken_while_held = true;
    std::thread other([&] { taken_while_held = mutex.try_lock(); });
    other.join();
    CHECK_FALSE(taken_while_held);
    mutex.unlock();
    bool taken_after = false;
    std::thread again([&] {
        taken_after = mutex.try_lock();
        if (taken_after) mutex.unlock();
    });
    again.join();
    CHECK(taken_after);
}
