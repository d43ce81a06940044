/// @file sqlite.hpp
/// Durable runs in a SQLite database file: the SQLite backend's entry header (CMake target
/// taskkit::sqlite, which links SQLite; no taskkit header includes sqlite3.h). The umbrella
/// <taskkit/taskkit.hpp> does not include it. See docs/durable-runs.md.
#pragma once

#include <taskkit/runtime.hpp>  // an entry header: a one-file program needs nothing else
#include <taskkit/sqlite/sqlite_backend.hpp>
#include <taskkit/sqlite/sqlite_error.hpp>
#include <taskkit/sqlite/sqlite_options.hpp>
