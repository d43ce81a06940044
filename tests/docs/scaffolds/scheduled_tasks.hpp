// What the fragments of docs/scheduled-tasks.md use: declared, never defined (the fragments are
// compiled, not linked).
#pragma once
#include <taskkit/schedule.hpp>
#include <taskkit/taskkit.hpp>
#include <taskkit/testing.hpp>

extern taskkit::runtime rt;
