// Waiting on a condition with a deadline: tests never sleep to wait for something.
#pragma once
#include <chrono>
#include <thread>

namespace taskkit_test {

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

}  // namespace taskkit_test
