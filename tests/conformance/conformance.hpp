// The backend conformance suite: every test here is written once and runs against every backend
// the build has (TEMPLATE_LIST_TEST_CASE over `backends`). A backend joins by adding its factory
// below; durable backends (SQLite, PostgreSQL) give each test a fresh store.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>

#include <stdlib.h>

#include <taskkit/backend/memory_backend.hpp>
#include <taskkit/taskkit.hpp>
#include <taskkit/testing.hpp>
#if defined(TASKKIT_CONFORMANCE_SQLITE)
#include <taskkit/sqlite.hpp>
#endif

#include "support/taskkit_test.hpp"

namespace conformance {

/// The memory backend, with a retention small enough that tests see runs being forgotten.
struct memory {
    static constexpr const char* name = "memory";
    static std::shared_ptr<taskkit::backend> make() { return taskkit::memory_backend({.retained_finished = 10'000}); }
};

#if defined(TASKKIT_CONFORMANCE_SQLITE)
/// A folder under the system's temporary folder for this test binary's database files, removed
/// with them when the binary exits.
inline const std::filesystem::path& database_folder() {
    struct folder {
        std::filesystem::path path;
        folder() {
            auto pattern = (std::filesystem::temp_directory_path() / "taskkit-conformance-XXXXXX").string();
            if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder");
            path = pattern;
        }
        ~folder() {
            std::error_code ignored;
            std::filesystem::remove_all(path, ignored);
        }
    };
    static const folder made;
    return made.path;
}

/// The SQLite backend, on a fresh database file for each runtime (a real file, WAL mode).
struct sqlite {
    static constexpr const char* name = "sqlite";
    static std::shared_ptr<taskkit::backend> make() {
        static std::atomic<int> files{0};
        const auto file = database_folder() / ("runs-" + std::to_string(++files) + ".db");
        // Leases far longer than any virtual-clock jump of a test: a jump past a lease while a run
        // executes would look like this process hung, and the run would be rescued and executed a
        // second time beside the first (lease expiry is tests/sqlite's to test, on real time).
        return taskkit::sqlite_backend({.path = file.string(),
                                        .synchronous = taskkit::sqlite_synchronous::normal,
                                        .lease_duration = std::chrono::hours(24 * 30)});
    }
};

using backends = std::tuple<memory, sqlite>;
#else
using backends = std::tuple<memory>;
#endif

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
