// The headers nearly every test file includes, compiled once per build tree into a precompiled
// header (tests/CMakeLists.txt, TASKKIT_TEST_PRECOMPILED_HEADERS): the standard library's
// containers and threads, nlohmann/json, fmt, Catch2 and <taskkit/taskkit.hpp>. Parsing them took
// about half of each test file's compile time. Test files still include what they use: this header
// only makes that cheaper, and a build without precompiled headers compiles the same files.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/taskkit_test.hpp"
