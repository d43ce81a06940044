/// @file sqlite/sqlite_error.hpp
/// The errors of the SQLite backend: what failed in the database file, and what to do about it.
#pragma once

#include <string>

#include <taskkit/error.hpp>

namespace taskkit {

/// A SQLite database file could not be read or written. Every error of the SQLite backend is
/// one of these (code() is error_code::store_failure); the subclasses say which kind of fault it
/// was. The operation that threw wrote nothing: its transaction was rolled back whole.
/// @code
/// try {
///     rt.trigger(...);
/// } catch (const taskkit::sqlite_busy_error& e) {   // another process held the file too long
///     retry_later();
/// } catch (const taskkit::sqlite_error& e) {
///     fmt::print("{} (SQLite result code {})\n", e.what(), e.result_code());
/// }
/// @endcode
class sqlite_error : public error {
public:
    sqlite_error(int result_code, std::string path, const std::string& message);

    /// SQLite's extended result code (SQLITE_BUSY is 5, SQLITE_FULL 13, ...); 0 when the fault was
    /// found by taskkit itself (a file of another application, a schema from a newer taskkit).
    [[nodiscard]] int result_code() const noexcept { return result_code_; }
    /// The database file.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    int result_code_;
    std::string path_;
};

/// The file stayed locked by another connection or process past the busy timeout
/// (SQLITE_BUSY, SQLITE_LOCKED): retry later, or raise sqlite_options::busy_timeout.
class sqlite_busy_error : public sqlite_error {
public:
    using sqlite_error::sqlite_error;
};

/// The disk (or the database's size limit) is full (SQLITE_FULL): free space, then retry.
class sqlite_full_error : public sqlite_error {
public:
    using sqlite_error::sqlite_error;
};

/// The file is corrupt, is not a SQLite database, or is a SQLite database of another application
/// (SQLITE_CORRUPT, SQLITE_NOTADB): restore it from a backup or use another path.
class sqlite_corrupt_error : public sqlite_error {
public:
    using sqlite_error::sqlite_error;
};

/// The file or its folder is read-only, or it was opened with sqlite_options::read_only
/// (SQLITE_READONLY): nothing was written.
class sqlite_readonly_error : public sqlite_error {
public:
    using sqlite_error::sqlite_error;
};

/// The file could not be opened or created (SQLITE_CANTOPEN): check that its folder exists and is
/// writable.
class sqlite_open_error : public sqlite_error {
public:
    using sqlite_error::sqlite_error;
};

/// The file was written by a newer taskkit, whose schema this build does not know: upgrade.
class sqlite_schema_error : public sqlite_error {
public:
    using sqlite_error::sqlite_error;
};

}  // namespace taskkit
