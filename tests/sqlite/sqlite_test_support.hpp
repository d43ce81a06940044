// Helpers shared by the SQLite store's tests: a temporary folder per test, runs to create, times.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <taskkit/sqlite.hpp>

#include "sqlite/codec.hpp"
#include "sqlite/database.hpp"
#include "sqlite/schema.hpp"
#include "sqlite/store.hpp"
#include "support/catch.hpp"

namespace sqlite_test {

using namespace std::chrono_literals;
namespace store = taskkit::sqlite::detail;

/// A fresh folder under the system's temporary folder, removed with everything in it at the end.
class temp_dir {
public:
    temp_dir() {
        auto pattern = (std::filesystem::temp_directory_path() / "taskkit-sqlite-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary folder");
        path_ = pattern;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ignored);
        std::filesystem::remove_all(path_, ignored);
    }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::string file(const std::string& name = "tasks.db") const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

/// A fixed origin for explicit times: t(1.5) is 1.5 s after it.
inline taskkit::time_point t(double seconds) {
    return taskkit::time_point(std::chrono::seconds(1'800'000'000)) +
           std::chrono::duration_cast<taskkit::time_point::duration>(std::chrono::duration<double>(seconds));
}

/// Options for a test's store: short busy timeout, the default lease.
inline taskkit::sqlite_options options(const std::string& path) {
    return taskkit::sqlite_options{
        .path = path, .busy_timeout = 10s, .synchronous = taskkit::sqlite_synchronous::normal};
}

/// A run with everything a test may set, owning its strings (store::new_run holds views).
struct run_spec {
    std::string id;
    std::string task = "task";
    std::string queue = "q";
    std::string key;
    int priority = 0;
    double created = 0;  ///< seconds after t(0)
    std::optional<double> run_at;
    std::optional<double> expires_at;
    std::string idempotency_key;
    double idempotency_ttl = 1e6;
    std::vector<std::string> tags;
    nlohmann::json payload = nlohmann::json::object();
    taskkit::machine machine = taskkit::machines::none;
    int max_attempts = 1;
    std::string parent;
    std::string batch;

    [[nodiscard]] store::new_run view() const {
        store::new_run r;
        r.id = id;
        r.task_id = task;
        r.queue = queue;
        r.concurrency_key = key;
        r.priority = priority;
        r.created_at = t(created);
        if (run_at) r.run_at = t(*run_at);
        if (expires_at) r.expires_at = t(*expires_at);
        r.idempotency_key = idempotency_key;
        r.idempotency_expires_at = t(created + idempotency_ttl);
        r.tags = tags;
        r.payload_json = &payload;
        r.machine_spec = machine;
        r.max_attempts = max_attempts;
        r.parent_id = parent;
        r.batch_id = batch;
        return r;
    }
};

/// Creates `spec` at its own creation time.
inline store::created create(store::store& s, const run_spec& spec) { return s.create(spec.view(), t(spec.created)); }

/// The ids of the runs one claim takes.
inline std::vector<std::string> claim_ids(store::store& s, double now, std::size_t max_runs = 1,
                                          taskkit::machine free = {100, 100}, const std::string& owner = "p1") {
    auto result = s.claim({.owner = owner, .now = t(now), .free = free, .max_runs = max_runs});
    std::vector<std::string> ids;
    for (const auto& c : result.runs) ids.push_back(c.lease.run_id);
    return ids;
}

/// Claims one run (or none).
inline std::optional<store::claimed> claim_one(store::store& s, double now, taskkit::machine free = {100, 100},
                                               const std::string& owner = "p1") {
    auto result = s.claim({.owner = owner, .now = t(now), .free = free, .max_runs = 1});
    if (result.runs.empty()) return std::nullopt;
    return std::move(result.runs.front());
}

inline store::finish_result complete(store::store& s, const store::claimed& c, double now,
                                     nlohmann::json output = nullptr) {
    return s.finish(c.lease, {.status = taskkit::run_status::completed, .output = std::move(output)}, t(now));
}

inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

inline taskkit::run_status status_of(store::store& s, const std::string& id) {
    auto r = s.find(id);
    REQUIRE(r);
    return r->status;
}

}  // namespace sqlite_test
