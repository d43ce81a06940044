// A user's program: trigger a task (defined in jobs.cpp) on an embedded runtime, read its result.
// Built twice: header-only (taskkit::taskkit) and in separate compilation (taskkit::compiled,
// reached through the consumer's own library, which links it PUBLIC).
#include "jobs.hpp"

#include <cstdio>

#if defined(EXPECT_SEPARATE_COMPILATION) != defined(TASKKIT_SEPARATE_COMPILATION)
#error "taskkit::compiled must define TASKKIT_SEPARATE_COMPILATION for every file that links it, and only for those"
#endif

int main() {
    taskkit::runtime rt({.workers = 2});
    const int result = rt.trigger(square, 12).get();
#if defined(TASKKIT_SEPARATE_COMPILATION)
    std::printf("square(12) = %d (separate compilation)\n", result);
#else
    std::printf("square(12) = %d (header-only)\n", result);
#endif
    return result == 144 ? 0 : 1;
}
