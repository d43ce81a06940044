// Compile-time fixture: the umbrella header in separate compilation, where it only declares
// taskkit's functions (timed by bench/run).
#define TASKKIT_SEPARATE_COMPILATION
#include <taskkit/taskkit.hpp>
