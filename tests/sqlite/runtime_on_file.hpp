// A runtime over the SQLite backend on a database file, as one process of several sharing it would
// run: a registry of its own, a short poll interval (so a change another runtime makes is seen
// within milliseconds), not the registry's default runtime. `workers` 0 runs nothing unless driven.
#pragma once

#include <chrono>
#include <string>

#include <taskkit/sqlite.hpp>
#include <taskkit/taskkit.hpp>

#include "sqlite_test_support.hpp"
#include "support/taskkit_test.hpp"

namespace sqlite_test {

inline taskkit::runtime_options runtime_on_file(taskkit::registry& reg, const std::string& path, unsigned workers) {
    auto o = options(path);
    o.poll_interval = std::chrono::milliseconds(5);
    auto r = taskkit_test::options(reg, workers);
    r.backend = taskkit::sqlite_backend(o);
    r.become_default = false;
    return r;
}

}  // namespace sqlite_test
