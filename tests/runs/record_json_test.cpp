// The JSON form of a run record: every key, with its value, for a record that fills them all.
#include <chrono>

#include <taskkit/run_record.hpp>

#include "support/taskkit_test.hpp"

using namespace taskkit_test;
using nlohmann::json;

namespace {

taskkit::time_point at_millis(std::int64_t ms) { return taskkit::time_point(std::chrono::milliseconds(ms)); }

taskkit::error_info error(std::string type, std::string message, std::optional<taskkit::error_code> code = {}) {
    taskkit::error_info e;
    e.type = std::move(type);
    e.message = std::move(message);
    e.code = code;
    return e;
}

}  // namespace

TEST_CASE("a record's JSON has every key, with nested errors, attempts, logs and machine") {
    taskkit::run_record r;
    r.id = "run_1";
    r.task_id = "send-email";
    r.status = taskkit::run_status::failed;
    r.payload = json{{"to", "ada@example.com"}};
    r.output = nullptr;
    r.error = error("taskkit::run_failed_error", "gave up", taskkit::error_code::run_failed);
    r.attempts.push_back({.number = 1,
                          .started_at = at_millis(1000),
                          .finished_at = at_millis(1500),
                          .error = error("std::runtime_error", "smtp down")});
    r.attempts.push_back(
        {.number = 2, .started_at = at_millis(2000), .finished_at = std::nullopt, .error = std::nullopt});
    r.queue = "mail";
    r.machine_spec = {.cpu = 2, .memory = 4};
    r.tags = {"user_1"};
    r.metadata = json{{"progress", 0.5}};
    r.concurrency_key = "user_1";
    r.priority = 3;
    r.idempotency_key = "welcome-1";
    r.batch_id = "batch_1";
    r.parent_id = "";
    r.children = {"run_2"};
    r.created_at = at_millis(900);
    r.started_at = at_millis(1000);
    r.finished_at = at_millis(2600);
    r.run_at = std::nullopt;
    r.logs.push_back({.time = at_millis(1100),
                      .level = taskkit::log_level::warn,
                      .message = "retrying",
                      .attributes = json{{"attempt", 1}},
                      .run_id = "run_1",
                      .task_id = "send-email",
                      .attempt = 1});
    r.dropped_logs = 7;
    r.hook_errors.push_back(error("std::logic_error", "hook threw"));
    r.streams["tokens"] = taskkit::stream_record{{"Hel", "lo"}, 2};

    const json expected = {
        {"id", "run_1"},
        {"task_id", "send-email"},
        {"status", "failed"},
        {"payload", {{"to", "ada@example.com"}}},
        {"output", nullptr},
        {"error", {{"type", "taskkit::run_failed_error"}, {"message", "gave up"}, {"code", "run_failed"}}},
        {"attempts",
         {{{"number", 1},
           {"started_at", 1000},
           {"finished_at", 1500},
           {"error", {{"type", "std::runtime_error"}, {"message", "smtp down"}}}},
          {{"number", 2}, {"started_at", 2000}, {"finished_at", nullptr}, {"error", nullptr}}}},
        {"queue", "mail"},
        {"machine", {{"cpu", 2.0}, {"memory", 4.0}}},
        {"tags", {"user_1"}},
        {"metadata", {{"progress", 0.5}}},
        {"concurrency_key", "user_1"},
        {"priority", 3},
        {"idempotency_key", "welcome-1"},
        {"batch_id", "batch_1"},
        {"parent_id", nullptr},
        {"children", {"run_2"}},
        {"created_at", 900},
        {"started_at", 1000},
        {"finished_at", 2600},
        {"run_at", nullptr},
        {"logs",
         {{{"time", 1100},
           {"level", "warn"},
           {"message", "retrying"},
           {"attributes", {{"attempt", 1}}},
           {"attempt", 1}}}},
        {"dropped_logs", 7},
        {"hook_errors", {{{"type", "std::logic_error"}, {"message", "hook threw"}}}},
        {"streams", {{"tokens", {{"chunks", {"Hel", "lo"}}, {"dropped", 2}}}}},
        {"waiting_for", nullptr},
    };
    const json j = r;
    CHECK(j == expected);

    r.parent_id = "run_0";
    r.error.reset();
    const json child = r;
    CHECK(child["parent_id"] == "run_0");
    CHECK(child["error"].is_null());
}
