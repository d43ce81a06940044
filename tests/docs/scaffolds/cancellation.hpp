// What the fragments of docs/cancellation-and-timeouts.md use: declared, never defined (the
// fragments are compiled, not linked).
#pragma once
#include <taskkit/taskkit.hpp>

#include <string>

using namespace std::chrono_literals;  // as the page's program has it

struct job {
    std::string name;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(job, name)

extern const taskkit::task<int> long_job;  // the page's program defines it
