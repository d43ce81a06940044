// The schema of a taskkit SQLite database, its versions and their migrations.
#pragma once

#include <cstdint>

namespace taskkit::sqlite::detail {

class connection;

/// The schema version this build writes (PRAGMA user_version, and meta.schema_version).
inline constexpr int schema_version = 7;

/// PRAGMA application_id of a taskkit database: "TKIT".
inline constexpr std::int32_t application_id = 0x544B4954;

/// Sets the connection's pragmas (WAL, synchronous, foreign keys) and brings the file to
/// schema_version inside one IMMEDIATE transaction, so that several processes opening one file at
/// once migrate it once. Throws sqlite_corrupt_error for a file of another application and
/// sqlite_schema_error for a file of a newer taskkit. Returns the version the file was at (0 for
/// a new file).
int open_schema(connection& conn, bool synchronous_full);

/// Checks the schema of a read-only connection (which cannot migrate): throws when the file is not
/// at schema_version.
void check_schema_read_only(connection& conn);

}  // namespace taskkit::sqlite::detail
