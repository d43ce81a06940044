// The consumer's tasks, declared for the files that trigger them.
#pragma once

#include <taskkit/taskkit.hpp>

extern const taskkit::task<int, int> square;
