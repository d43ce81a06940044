// What the fragments of docs/testing.md use: declared, never defined (the fragments are compiled,
// not linked).
#pragma once
#include <taskkit/taskkit.hpp>
#include <taskkit/testing.hpp>

using namespace std::chrono_literals;  // as the page's programs have it

// The names of run_inline's synopsis, which the page writes as in taskkit::testing.
template <class P, class R>
using task = taskkit::task<P, R>;
template <class R>
using inline_run = taskkit::testing::inline_run<R>;
using trigger_options = taskkit::trigger_options;
using harness_options = taskkit::testing::harness_options;

extern const taskkit::task<int, int> flaky;
extern const int payload;
extern const taskkit::task<int> remind;
