// Compile-time fixture: the cost of taskkit's umbrella header (timed by bench/run).
#include <taskkit/taskkit.hpp>
