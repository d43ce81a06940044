// Faults give typed errors, never a crash or a lost write: a file locked past the busy timeout, a
// corrupt or foreign file, a read-only file, a full database, a path that cannot be opened.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "sqlite_test_support.hpp"

using namespace sqlite_test;
using taskkit::run_status;

namespace {

taskkit::sqlite_options short_timeout(const std::string& path, std::chrono::milliseconds timeout = 200ms) {
    auto opts = options(path);
    opts.busy_timeout = timeout;
    return opts;
}

void write_garbage(const std::string& path, std::size_t offset, std::size_t bytes) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    if (!file) file.open(path, std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(offset));
    for (std::size_t i = 0; i < bytes; ++i) file.put(static_cast<char>((i * 131 + 7) % 251));
}

/// Makes a file unwritable (or writable again): chmod, or for root the immutable flag.
bool set_writable(const std::string& path, bool writable) {
    if (::geteuid() != 0) return ::chmod(path.c_str(), writable ? 0644 : 0444) == 0;
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return false;
    int flags = 0;
    bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
    if (ok) {
        flags = writable ? (flags & ~FS_IMMUTABLE_FL) : (flags | FS_IMMUTABLE_FL);
        ok = ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
    }
    ::close(fd);
    return ok;
}

}  // namespace

TEST_CASE("a file locked by another writer past the busy timeout gives sqlite_busy_error, and nothing is written") {
    temp_dir dir;
    store::store s(short_timeout(dir.file()));
    create(s, {.id = "run_before"});
    store::connection other({.path = dir.file()});
    other.exec("BEGIN IMMEDIATE");
    other.exec("UPDATE meta SET value = value WHERE key = 'seq'");
    const auto began = std::chrono::steady_clock::now();
    try {
        create(s, {.id = "run_during"});
        FAIL("a write went through while another connection held the write lock");
    } catch (const taskkit::sqlite_busy_error& e) {
        CHECK(e.code() == taskkit::error_code::store_failure);
        CHECK((e.result_code() & 0xff) == 5);  // SQLITE_BUSY
        CHECK(e.path() == dir.file());
        CHECK(contains(e.what(), "busy timeout of 200 ms"));
        CHECK(contains(e.what(), "creating a run"));
    }
    const auto waited = std::chrono::steady_clock::now() - began;
    CHECK(waited >= 190ms);  // it waited (retrying) for the timeout
    CHECK(waited < 5s);
    CHECK_THROWS_AS(s.claim({.owner = "p1", .now = t(1), .free = {8, 8}}), taskkit::sqlite_busy_error);
    // Reads go on meanwhile (WAL): the run written before is there.
    CHECK(s.find("run_before"));
    other.exec("ROLLBACK");
    CHECK_FALSE(s.find("run_during"));
    create(s, {.id = "run_after"});
    CHECK(claim_ids(s, 1, 10) == std::vector<std::string>{"run_before", "run_after"});
}

TEST_CASE("opening a file another writer holds past the busy timeout gives sqlite_busy_error") {
    temp_dir dir;
    { store::store s(options(dir.file())); }
    store::connection other({.path = dir.file()});
    other.exec("BEGIN IMMEDIATE");
    CHECK_THROWS_AS(store::store(short_timeout(dir.file(), 100ms)), taskkit::sqlite_busy_error);
    other.exec("COMMIT");
    store::store s(short_timeout(dir.file()));
    CHECK(s.opened_at_version() == store::schema_version);
}

TEST_CASE("a file that is not a SQLite database gives sqlite_corrupt_error, and is left as it was") {
    temp_dir dir;
    write_garbage(dir.file(), 0, 8192);
    try {
        store::store s(options(dir.file()));
        FAIL("a file of garbage opened");
    } catch (const taskkit::sqlite_corrupt_error& e) {
        CHECK(e.code() == taskkit::error_code::store_failure);
        CHECK((e.result_code() & 0xff) == 26);  // SQLITE_NOTADB
        CHECK(contains(e.what(), "is corrupt or not a taskkit database"));
    }
    CHECK(std::filesystem::file_size(dir.file()) == 8192);
}

TEST_CASE("a database whose pages were overwritten gives sqlite_corrupt_error, never a crash") {
    temp_dir dir;
    {
        store::store s(options(dir.file()));
        std::vector<run_spec> specs;
        for (int i = 0; i < 200; ++i)
            specs.push_back({.id = "run_" + std::to_string(i), .payload = {{"text", std::string(300, 'x')}}});
        std::vector<store::new_run> views;
        for (const auto& spec : specs) views.push_back(spec.view());
        s.create(views, t(0));
    }
    const auto size = std::filesystem::file_size(dir.file());
    REQUIRE(size > 16384);
    write_garbage(dir.file(), 4096, static_cast<std::size_t>(size) - 4096);  // every page but the first
    bool typed = false;
    try {
        store::store s(options(dir.file()));
        (void)s.list({.limit = 1000});
        for (int i = 0; i < 200; ++i) (void)s.find("run_" + std::to_string(i));
        s.claim({.owner = "p1", .now = t(1), .free = {8, 8}, .max_runs = 10});
    } catch (const taskkit::sqlite_corrupt_error& e) {
        typed = true;
        CHECK(contains(e.what(), "corrupt"));
    }
    CHECK(typed);
}

TEST_CASE("a SQLite database of another application gives sqlite_corrupt_error, and is left as it was") {
    temp_dir dir;
    {
        store::connection other({.path = dir.file()});
        other.exec(
            "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER); INSERT INTO accounts VALUES (1, 10)");
    }
    try {
        store::store s(options(dir.file()));
        FAIL("another application's database opened");
    } catch (const taskkit::sqlite_corrupt_error& e) {
        CHECK(contains(e.what(), "another application"));
    }
    store::connection other({.path = dir.file()});
    CHECK(other.query_int("SELECT balance FROM accounts WHERE id = 1") == 10);
    CHECK(other.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'runs'") == 0);
}

TEST_CASE("a database opened read-only reads runs, and each write gives sqlite_readonly_error with nothing lost") {
    temp_dir dir;
    {
        store::store s(options(dir.file()));
        create(s, {.id = "run_a"});
    }
    {
        auto opts = options(dir.file());
        opts.read_only = true;
        store::store ro(opts);
        CHECK(ro.find("run_a"));
        CHECK(ro.list({}).runs.size() == 1);
        try {
            create(ro, {.id = "run_b"});
            FAIL("a read-only store wrote");
        } catch (const taskkit::sqlite_readonly_error& e) {
            CHECK((e.result_code() & 0xff) == 8);  // SQLITE_READONLY
            CHECK(contains(e.what(), "read-only"));
        }
        CHECK_THROWS_AS(ro.claim({.owner = "p1", .now = t(1), .free = {8, 8}}), taskkit::sqlite_readonly_error);
        CHECK_THROWS_AS(ro.cancel("run_a", t(1)), taskkit::sqlite_readonly_error);
    }
    store::store s(options(dir.file()));
    CHECK(status_of(s, "run_a") == run_status::queued);
    CHECK_FALSE(s.find("run_b"));
}

TEST_CASE("a read-only connection cannot migrate an old file: sqlite_readonly_error says what to do") {
    temp_dir dir;
    {
        store::store s(options(dir.file()));
        s.writer().exec("PRAGMA user_version = 1");
    }
    auto opts = options(dir.file());
    opts.read_only = true;
    try {
        store::store ro(opts);
        FAIL("a read-only store opened a file it would have to migrate");
    } catch (const taskkit::sqlite_readonly_error& e) {
        CHECK(contains(e.what(), "without sqlite_options::read_only"));
    }
}

TEST_CASE("a file the process may not write gives a typed error, with nothing lost") {
    temp_dir dir;
    {
        store::store s(options(dir.file()));
        create(s, {.id = "run_a"});
    }
    REQUIRE_FALSE(std::filesystem::exists(dir.file() + "-wal"));  // checkpointed when the last connection closed
    // chmod 0444 stops a process that is not root; root writes such files anyway, and is stopped by
    // the file system's immutable flag instead.
    const bool root = ::geteuid() == 0;
    if (!set_writable(dir.file(), false)) {
        WARN("skipped: the file system cannot make the file unwritable for this user");
        return;
    }
    struct restore {
        std::string path;
        ~restore() { set_writable(path, true); }  // before the folder is removed, whatever happens
    } restore_writable{dir.file()};
    std::string message;
    try {
        store::store s(options(dir.file()));
        create(s, {.id = "run_b"});
    } catch (const taskkit::sqlite_readonly_error& e) {
        message = e.what();
        CHECK(contains(e.what(), "read-only"));
    } catch (const taskkit::sqlite_open_error& e) {
        message = e.what();
    }
    CHECK_FALSE(message.empty());
    INFO(message);
    REQUIRE(set_writable(dir.file(), true));
    INFO("as root: " << root);
    store::store s(options(dir.file()));
    CHECK(s.find("run_a"));
    CHECK_FALSE(s.find("run_b"));
}

TEST_CASE("a full database gives sqlite_full_error: the failed write is not half-done, earlier runs are intact") {
    temp_dir dir;
    store::store s(options(dir.file()));
    create(s, {.id = "run_first"});
    const auto pages = s.writer().query_int("PRAGMA page_count");
    s.writer().exec(fmt::format("PRAGMA max_page_count = {}", pages + 30));
    int made = 0;
    bool full = false;
    for (int i = 0; i < 1000 && !full; ++i) {
        try {
            create(s, {.id = "run_" + std::to_string(i), .tags = {"t"}, .payload = {{"blob", std::string(3000, 'x')}}});
            ++made;
        } catch (const taskkit::sqlite_full_error& e) {
            full = true;
            CHECK((e.result_code() & 0xff) == 13);  // SQLITE_FULL
            CHECK(contains(e.what(), "is full"));
            CHECK_FALSE(s.find("run_" + std::to_string(i)));  // nothing of it was written
        }
    }
    REQUIRE(full);
    CHECK(made > 0);
    CHECK(s.find("run_first"));
    for (int i = 0; i < made; ++i) CHECK(s.find("run_" + std::to_string(i)));
    // Claims need room too, and fail the same way; once there is room, everything goes on.
    bool claim_full = false;
    try {
        for (int i = 0; i < 100; ++i) s.claim({.owner = "p1", .now = t(1), .free = {8, 8}, .max_runs = 5});
    } catch (const taskkit::sqlite_full_error&) {
        claim_full = true;
    }
    s.writer().exec("PRAGMA max_page_count = 1000000");
    create(s, {.id = "run_after"});
    CHECK(s.find("run_after"));
    auto page = s.list({.limit = 2000});
    CHECK(page.runs.size() == static_cast<std::size_t>(made) + 2);
    INFO("a claim hit the limit too: " << claim_full);
}

TEST_CASE("a path that cannot be opened gives sqlite_open_error") {
    temp_dir dir;
    try {
        store::store s(options((dir.path() / "missing-folder" / "tasks.db").string()));
        FAIL("a file in a missing folder opened");
    } catch (const taskkit::sqlite_open_error& e) {
        CHECK((e.result_code() & 0xff) == 14);  // SQLITE_CANTOPEN
        CHECK(contains(e.what(), "folder exists"));
    }
    CHECK_THROWS_AS(store::store(options("")), taskkit::sqlite_open_error);
}
