// Compile-time fixture: main.cpp in separate compilation (timed by bench/run).
#define TASKKIT_SEPARATE_COMPILATION
#include "main.cpp"  // NOLINT(bugprone-suspicious-include): the same file, in the other mode
