// What the fragments of docs/run-handles.md use: declared, never defined (the fragments are
// compiled, not linked).
#pragma once
#include <taskkit/taskkit.hpp>

extern const taskkit::task<int, int> square;  // the page's program defines it
extern const taskkit::run_handle<int> handle;  // a handle of one of its runs
void use(int output);
