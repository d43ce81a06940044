// The consumer's tasks, defined in a file of their own (as a program with many tasks would).
#include "jobs.hpp"

const taskkit::task<int, int> square({
    .id = "square",
    .run = [](const int& n) { return n * n; },
});
