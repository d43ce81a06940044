// The backend conformance suite: every test here is written once and runs against every backend
// the build has (TEMPLATE_LIST_TEST_CASE over `backends`). A backend joins by adding its factory
// below; durable backends (SQLite, PostgreSQL) give each test a fresh store.
#pragma once

#include <memory>
#include <string>
#include <tuple>

#include <taskkit/backend/memory_backend.hpp>
#include <taskkit/taskkit.hpp>
#include <taskkit/testing.hpp>

#include "support/taskkit_test.hpp"

namespace conformance {

/// The memory backend, with a retention small enough that tests see runs being forgotten.
struct memory {
    static constexpr const char* name = "memory";
    static std::shared_ptr<taskkit::backend> make() { return taskkit::memory_backend({.retained_finished = 10'000}); }
};

using backends = std::tuple<memory>;

/// Runtime options for a conformance test: a private registry, no log output, a fixed jitter, the
/// backend under test.
template <class Backend>
taskkit::runtime_options options(taskkit::registry& reg, unsigned workers = 2,
                                 std::shared_ptr<taskkit::clock> clock = nullptr) {
    auto o = taskkit_test::options(reg, workers, std::move(clock));
    o.backend = Backend::make();
    return o;
}

/// A testing harness (no threads, a virtual clock) on the backend under test.
template <class Backend>
taskkit::testing::harness_options harness(taskkit::registry& reg) {
    taskkit::testing::harness_options o;
    o.registry = &reg;
    o.backend = Backend::make();
    return o;
}

}  // namespace conformance
