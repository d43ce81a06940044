// What the fragments of docs/machines.md use: declared, never defined (the fragments are
// compiled, not linked).
#pragma once
#include <taskkit/taskkit.hpp>

extern const taskkit::task<nlohmann::json> heavy_task;  // the page's program defines it
extern const nlohmann::json payload;
extern taskkit::runtime rt;
