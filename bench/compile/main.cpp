// Compile-time fixture: the file of a program that creates its runtime, with main(), beside the task
// file tasks.cpp. It includes <taskkit/runtime.hpp>, which brings the engine's code in header-only
// mode: a program compiles the engine once, here, and not in each file that defines or triggers
// tasks (timed by bench/run).
#include <taskkit/runtime.hpp>

namespace fixture {
int trigger_three();  // tasks.cpp
}  // namespace fixture

int main() {
    taskkit::runtime rt({.workers = 2});
    return fixture::trigger_three() == 40 ? 0 : 1;
}
