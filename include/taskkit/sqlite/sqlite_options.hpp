/// @file sqlite/sqlite_options.hpp
/// Options of the SQLite backend.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace taskkit {

/// When a commit is on disk (SQLite's `PRAGMA synchronous`, in WAL mode).
enum class sqlite_synchronous {
    /// Every commit is flushed to disk (fsync) before the call that made it returns: a run that
    /// trigger() returned survives a crash of the process and a power loss or a crash of the
    /// machine. The default.
    full,
    /// Commits reach the operating system before the call returns and the disk at the next
    /// checkpoint: they survive a crash of the process (SIGKILL included), but a power loss or a
    /// crash of the machine may lose the last ones (never corrupting the file). Faster: no fsync
    /// per commit.
    normal,
};

/// Where and how the SQLite backend keeps its runs.
/// @code
/// taskkit::runtime rt({.backend = taskkit::sqlite_backend({.path = "tasks.db"})});
/// @endcode
struct sqlite_options {
    /// The database file; created (with its folder's -wal and -shm files beside it) when missing.
    /// Several processes may open the same file.
    std::string path;
    /// How long a call waits for another connection's write transaction before it throws
    /// sqlite_busy_error. SQLite retries with backoff meanwhile.
    std::chrono::milliseconds busy_timeout{5000};
    /// When a commit is on disk (see sqlite_synchronous).
    sqlite_synchronous synchronous = sqlite_synchronous::full;
    /// Open without writing: reading runs works, every write throws sqlite_readonly_error. The
    /// file must exist at the current schema version.
    bool read_only = false;
    /// How long a claimed run's lease lasts unless its process renews it; a run whose lease
    /// expired gets a new attempt in another process.
    std::chrono::milliseconds lease_duration{30'000};
    /// How often the backend looks for what other processes changed in the file (runs they
    /// triggered, finished or canceled), to report it to this runtime's handles and subscribers and
    /// to wake its workers. Changes this process makes are reported at once.
    std::chrono::milliseconds poll_interval{50};
    /// The most recent log lines kept per run (older ones are dropped and counted).
    std::size_t max_logs_per_run = 1000;
    /// The most recent chunks kept in the file per stream of a run (ctx.stream); older ones are
    /// deleted as new ones come and counted in stream_record::dropped. 0 stores none. The file
    /// keeps no more than the runtime's own bound (runtime_options::max_stream_chunks) either.
    std::size_t max_stream_chunks = 10'000;
    /// How long status events stay in the file for other processes to follow.
    std::chrono::milliseconds event_retention{std::chrono::minutes(10)};
    /// How long a scheduled task's fire is remembered (so that it fires once per nominal time
    /// across processes).
    std::chrono::milliseconds schedule_fire_retention{std::chrono::hours(24 * 7)};
};

}  // namespace taskkit
