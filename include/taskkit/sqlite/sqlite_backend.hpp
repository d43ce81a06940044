/// @file sqlite/sqlite_backend.hpp
/// The SQLite backend: a runtime's runs kept in a SQLite database file, durable across restarts
/// and shared by every process that opens the file.
#pragma once

#include <memory>

#include <taskkit/backend/backend.hpp>
#include <taskkit/sqlite/sqlite_error.hpp>
#include <taskkit/sqlite/sqlite_options.hpp>

namespace taskkit {

/// A backend that keeps runs in the SQLite database file `options.path` (created when missing,
/// migrated when older): a run that trigger() returned survives the process, a run whose process
/// died gets a new attempt once its lease expires, and several processes (or several runtimes of
/// one process) that open the same file share its runs, with every queue limit, key, cap, rate
/// limit and idempotency key holding across all of them. Link the CMake target taskkit::sqlite.
/// See docs/durable-runs.md.
/// @code
/// taskkit::runtime rt({.backend = taskkit::sqlite_backend({.path = "tasks.db"})});
/// auto handle = rt.trigger(send_email, email{"ada@example.com"});  // on disk when it returns
/// @endcode
/// Opens the file at once: throws sqlite_open_error, sqlite_corrupt_error (not a taskkit
/// database, or damaged), sqlite_schema_error (written by a newer taskkit), sqlite_busy_error or
/// sqlite_readonly_error — every one a sqlite_error. A backend serves one runtime at a time.
[[nodiscard]] std::shared_ptr<backend> sqlite_backend(sqlite_options options);

}  // namespace taskkit
