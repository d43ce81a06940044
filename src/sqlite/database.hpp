// A small RAII layer over SQLite's C API: a connection, prepared statements (cached per
// connection), transactions with retry and backoff, and SQLite's result codes turned into
// taskkit::sqlite_error and its subclasses. Internal to taskkit::sqlite: this header does not
// include sqlite3.h either, so the store above it compiles without SQLite's declarations.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <taskkit/sqlite/sqlite_error.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace taskkit::sqlite::detail {

class connection;

/// Throws the taskkit::sqlite_error subclass for SQLite result code `rc` (with the connection's
/// message when `db` is given). `what` says what taskkit was doing ("claiming a run").
[[noreturn]] void throw_sqlite(int rc, sqlite3* db, const std::string& path, std::string_view what,
                               std::chrono::milliseconds busy_timeout);

/// A prepared statement of a connection, borrowed from its cache: bound, stepped, then reset
/// when the borrow ends. Columns and parameters count from 0 and 1, as in SQLite.
class statement {
public:
    /// `in_use` is the cache entry's flag (cleared when the borrow ends), or null for a statement
    /// the borrow owns (finalized when it ends).
    statement(connection& conn, sqlite3_stmt* stmt, bool* in_use);
    statement(statement&& other) noexcept;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    statement& operator=(statement&&) = delete;
    ~statement();

    statement& bind(int index, std::int64_t value);
    statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    statement& bind(int index, double value);
    statement& bind(int index, std::string_view text);
    statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
    statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    statement& bind(int index, std::nullptr_t);
    template <class T>
    statement& bind(int index, const std::optional<T>& value) {
        if (value) return bind(index, *value);
        return bind(index, nullptr);
    }

    /// Steps once: true when a row is ready, false when the statement is done.
    bool step();
    /// Steps to the end (a statement that returns no rows), then resets it for the next bindings.
    void run();
    /// Resets the statement and clears its bindings.
    void reset();
    /// Steps once and expects a row; false when there is none.
    bool row() { return step(); }

    [[nodiscard]] bool is_null(int column) const;
    [[nodiscard]] std::int64_t int64(int column) const;
    [[nodiscard]] int int32(int column) const { return static_cast<int>(int64(column)); }
    [[nodiscard]] double real(int column) const;
    /// The column's text, valid until the next step or reset.
    [[nodiscard]] std::string_view text_view(int column) const;
    [[nodiscard]] std::string text(int column) const { return std::string(text_view(column)); }
    [[nodiscard]] std::optional<std::int64_t> optional_int64(int column) const;

private:
    connection* conn_;
    sqlite3_stmt* stmt_;
    bool* in_use_;
};

/// How a connection is opened.
struct connection_options {
    std::string path;
    bool read_only = false;
    std::chrono::milliseconds busy_timeout{5000};
};

/// One SQLite connection. Not thread-safe: its owner serializes its use (the store holds a mutex
/// per connection).
class connection {
public:
    explicit connection(connection_options options);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    /// Runs one or more statements that return no rows.
    void exec(std::string_view sql, std::string_view what = "running a statement");
    /// A prepared statement for `sql`, from the connection's cache (prepared on first use).
    statement prepare(std::string_view sql);
    /// The rows the last statement changed.
    [[nodiscard]] std::int64_t changes() const;
    /// A one-value query's result as text (PRAGMAs).
    std::string query_text(std::string_view sql);
    std::int64_t query_int(std::string_view sql);

    [[nodiscard]] sqlite3* handle() const noexcept { return db_; }
    [[nodiscard]] const std::string& path() const noexcept { return options_.path; }
    [[nodiscard]] std::chrono::milliseconds busy_timeout() const noexcept { return options_.busy_timeout; }
    [[nodiscard]] bool read_only() const noexcept { return options_.read_only; }
    [[nodiscard]] bool in_transaction() const;

    /// Throws the error for result code `rc` of this connection.
    [[noreturn]] void fail(int rc, std::string_view what) const;

    /// Runs `fn` in a write transaction (BEGIN IMMEDIATE: the write lock is taken first, so the
    /// transaction never fails half-way for a lock) and commits. When the file is busy, the whole
    /// transaction is tried again with backoff until the busy timeout has passed, then
    /// sqlite_busy_error is thrown. Any error rolls the transaction back whole. `fn` must be safe
    /// to run again (it is, when all its state is in the database).
    template <class F>
    auto write(std::string_view what, F&& fn) -> std::invoke_result_t<F&> {
        return transact(true, what, fn);
    }
    /// Runs `fn` in a read transaction (one consistent snapshot of the file).
    template <class F>
    auto read(std::string_view what, F&& fn) -> std::invoke_result_t<F&> {
        return transact(false, what, fn);
    }

private:
    friend class statement;

    template <class F>
    auto transact(bool writing, std::string_view what, F& fn) -> std::invoke_result_t<F&> {
        retry_state retry(*this);
        doing_scope doing(*this, what);
        for (;;) {
            try {
                begin(writing, what);
                if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
                    fn();
                    commit(what);
                    return;
                } else {
                    auto result = fn();
                    commit(what);
                    return result;
                }
            } catch (const sqlite_busy_error&) {
                rollback();
                if (!retry.again()) throw;
            } catch (...) {
                rollback();
                throw;
            }
        }
    }

    /// The deadline and backoff of one transaction's tries.
    class retry_state {
    public:
        explicit retry_state(const connection& conn);
        /// Waits before the next try; false when the busy timeout has passed.
        bool again();

    private:
        std::chrono::steady_clock::time_point deadline_;
        std::chrono::microseconds delay_{200};
    };

    void begin(bool writing, std::string_view what);
    void commit(std::string_view what);
    void rollback() noexcept;

    /// What the current transaction does, for error messages.
    struct doing_scope {
        doing_scope(connection& c, std::string_view what) : conn(c), previous(std::exchange(c.doing_, what)) {}
        doing_scope(const doing_scope&) = delete;
        doing_scope& operator=(const doing_scope&) = delete;
        ~doing_scope() { conn.doing_ = previous; }
        connection& conn;
        std::string_view previous;
    };

    struct cached {
        sqlite3_stmt* stmt = nullptr;
        bool in_use = false;
    };

    connection_options options_;
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, cached> cache_;  // node-based: an entry never moves
    std::string_view doing_;
};

}  // namespace taskkit::sqlite::detail
