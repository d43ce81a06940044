// The RAII layer over SQLite's C API (database.hpp) and the mapping of SQLite's result codes to
// taskkit's typed errors.
#include "sqlite/database.hpp"

#include <sqlite3.h>

#include <random>
#include <thread>

#include <fmt/format.h>

namespace taskkit {

sqlite_error::sqlite_error(int result_code, std::string path, const std::string& message)
    : error(error_code::store_failure, message), result_code_(result_code), path_(std::move(path)) {}

}  // namespace taskkit

namespace taskkit::sqlite::detail {

void throw_sqlite(int rc, sqlite3* db, const std::string& path, std::string_view what,
                  std::chrono::milliseconds busy_timeout) {
    const int extended = db ? sqlite3_extended_errcode(db) : rc;
    const int code = (extended & 0xff) == (rc & 0xff) ? extended : rc;
    const std::string detail =
        db && (sqlite3_errcode(db) & 0xff) == (rc & 0xff) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            throw sqlite_busy_error(
                code, path,
                fmt::format("taskkit: the database '{}' stayed locked by another connection or process for more than "
                            "the busy timeout of {} ms while {} (SQLite: {}): another process holds a long write "
                            "transaction; try again later, or raise sqlite_options::busy_timeout. Nothing was written.",
                            path, busy_timeout.count(), what, detail));
        case SQLITE_FULL:
            throw sqlite_full_error(
                code, path,
                fmt::format("taskkit: the disk holding the database '{}' is full, or the database reached its size "
                            "limit, while {} (SQLite: {}): nothing of this operation was written and the runs written "
                            "before are intact; free space, then try again.",
                            path, what, detail));
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            throw sqlite_corrupt_error(
                code, path,
                fmt::format(
                    "taskkit: the file '{}' is corrupt or not a taskkit database (SQLite: {}) while {}: restore "
                    "it from a backup, or point sqlite_options::path at another file.",
                    path, detail, what));
        case SQLITE_READONLY:
            throw sqlite_readonly_error(
                code, path,
                fmt::format("taskkit: the database '{}' is read-only (SQLite: {}) while {}: nothing was written. Check "
                            "the permissions of the file and of its folder (SQLite writes '{}-wal' and '{}-shm' beside "
                            "it), or open it without sqlite_options::read_only.",
                            path, detail, what, path, path));
        case SQLITE_CANTOPEN:
            throw sqlite_open_error(
                code, path,
                fmt::format("taskkit: cannot open the database '{}' (SQLite: {}) while {}: check that its folder "
                            "exists and that the process may read and write there.",
                            path, detail, what));
        default:
            throw sqlite_error(code, path,
                               fmt::format("taskkit: SQLite failed on the database '{}' while {} (SQLite: {}, result "
                                           "code {}).",
                                           path, what, detail, code));
    }
}

// ------------------------------------------------------------------------------------ statement

statement::statement(connection& conn, sqlite3_stmt* stmt, bool* in_use) : conn_(&conn), stmt_(stmt), in_use_(in_use) {}

statement::statement(statement&& other) noexcept
    : conn_(other.conn_), stmt_(std::exchange(other.stmt_, nullptr)), in_use_(std::exchange(other.in_use_, nullptr)) {}

statement::~statement() {
    if (!stmt_) return;
    if (in_use_) {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        *in_use_ = false;
    } else {
        sqlite3_finalize(stmt_);
    }
}

statement& statement::bind(int index, std::int64_t value) {
    if (const int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK) conn_->fail(rc, "binding a value");
    return *this;
}

statement& statement::bind(int index, double value) {
    if (const int rc = sqlite3_bind_double(stmt_, index, value); rc != SQLITE_OK) conn_->fail(rc, "binding a value");
    return *this;
}

statement& statement::bind(int index, std::string_view text) {
    // SQLITE_TRANSIENT: SQLite copies the text, so a view of a temporary is safe. A null pointer
    // would bind NULL: an empty view (a default string_view has no data) binds ''.
    const char* data = text.data() ? text.data() : "";
    if (const int rc = sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        rc != SQLITE_OK)
        conn_->fail(rc, "binding a value");
    return *this;
}

statement& statement::bind(int index, std::nullptr_t) {
    if (const int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) conn_->fail(rc, "binding a value");
    return *this;
}

bool statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // The statement's error is the connection's too; reset it so that the cache may reuse it.
    const std::string sql = sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : "";
    try {
        conn_->fail(rc, fmt::format("running \"{}\"", sql.substr(0, 80)));
    } catch (...) {
        sqlite3_reset(stmt_);
        throw;
    }
}

void statement::run() {
    while (step()) {
    }
    reset();
}

void statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::int64_t statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double statement::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string_view statement::text_view(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (!text) return {};
    return std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::int64_t> statement::optional_int64(int column) const {
    if (is_null(column)) return std::nullopt;
    return int64(column);
}

// ------------------------------------------------------------------------------------ connection

connection::connection(connection_options options) : options_(std::move(options)) {
    // One connection per thread at a time (the store's mutex), so SQLite's own mutexes are not needed.
    const int flags = (options_.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    const int rc = sqlite3_open_v2(options_.path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        try {
            throw_sqlite(rc, db_, options_.path, "opening it", options_.busy_timeout);
        } catch (...) {
            sqlite3_close_v2(db_);
            db_ = nullptr;
            throw;
        }
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(options_.busy_timeout.count()));
    // SQLite's temporary files (the sorts of ORDER BY and GROUP BY that no index serves, transient
    // indexes, statement journals) in memory: none is created, written and deleted in the temporary
    // folder by a query. A setting of the connection, not of the file: each connection sets it.
    if (const int prc = sqlite3_exec(db_, "PRAGMA temp_store = MEMORY", nullptr, nullptr, nullptr); prc != SQLITE_OK) {
        try {
            throw_sqlite(prc, db_, options_.path, "setting temp_store", options_.busy_timeout);
        } catch (...) {
            sqlite3_close_v2(db_);
            db_ = nullptr;
            throw;
        }
    }
}

connection::~connection() {
    for (auto& [sql, entry] : cache_) sqlite3_finalize(entry.stmt);
    if (db_) {
        if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close_v2(db_);
    }
}

void connection::fail(int rc, std::string_view what) const {
    if (doing_.empty()) throw_sqlite(rc, db_, options_.path, what, options_.busy_timeout);
    throw_sqlite(rc, db_, options_.path, fmt::format("{} ({})", doing_, what), options_.busy_timeout);
}

void connection::exec(std::string_view sql, std::string_view what) {
    const std::string text(sql);
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message);  // the connection keeps the message for sqlite3_errmsg
    if (rc != SQLITE_OK) fail(rc, what);
}

statement connection::prepare(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end()) {
        sqlite3_stmt* stmt = nullptr;
        const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                          &stmt, nullptr);
        if (rc != SQLITE_OK) fail(rc, fmt::format("preparing \"{}\"", sql.substr(0, 80)));
        it = cache_.emplace(std::string(sql), cached{stmt, false}).first;
    }
    if (!it->second.in_use) {
        it->second.in_use = true;
        return statement(*this, it->second.stmt, &it->second.in_use);
    }
    // The cached one is borrowed already (a nested use of the same SQL): a private copy.
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc, fmt::format("preparing \"{}\"", sql.substr(0, 80)));
    return statement(*this, stmt, nullptr);
}

std::int64_t connection::changes() const { return sqlite3_changes64(db_); }

std::string connection::query_text(std::string_view sql) {
    auto st = prepare(sql);
    if (!st.step()) return {};
    return st.text(0);
}

std::int64_t connection::query_int(std::string_view sql) {
    auto st = prepare(sql);
    if (!st.step()) return 0;
    return st.int64(0);
}

bool connection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

void connection::begin(bool writing, std::string_view) {
    if (in_transaction()) throw sqlite_error(0, options_.path, "taskkit: a transaction began inside another one");
    prepare(writing ? "BEGIN IMMEDIATE" : "BEGIN").run();
}

void connection::commit(std::string_view) { prepare("COMMIT").run(); }

void connection::rollback() noexcept {
    // SQLite may have rolled the transaction back already (SQLITE_FULL, SQLITE_IOERR...).
    if (db_ && in_transaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

connection::retry_state::retry_state(const connection& conn)
    : deadline_(std::chrono::steady_clock::now() + conn.options_.busy_timeout) {}

bool connection::retry_state::again() {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline_) return false;
    // Exponential backoff with jitter (so that processes that collided do not collide again),
    // never past the deadline.
    thread_local std::minstd_rand random(std::random_device{}());
    const auto half = delay_.count() / 2;
    auto wait = std::chrono::microseconds(half + static_cast<long>(random() % static_cast<unsigned>(half + 1)));
    wait = std::min<std::chrono::microseconds>(wait,
                                               std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - now));
    std::this_thread::sleep_for(wait);
    delay_ = std::min<std::chrono::microseconds>(delay_ * 2, std::chrono::milliseconds(50));
    return true;
}

}  // namespace taskkit::sqlite::detail
