// Compile-time fixture: the baseline, nlohmann/json and fmt alone (timed by bench/run).
#include <fmt/format.h>
#include <nlohmann/json.hpp>
