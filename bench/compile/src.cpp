// Compile-time fixture: the definitions a separately compiled program builds once (timed by bench/run).
#define TASKKIT_SEPARATE_COMPILATION
#include <taskkit/src.hpp>
