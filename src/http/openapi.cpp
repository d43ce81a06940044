// GET /api/v1/openapi.json: the OpenAPI 3.1 document, built from the route table, so that every
// route the server answers is described (tests/http checks it).
#include <algorithm>
#include <cctype>
#include <string>

#include "http/server_state.hpp"

namespace taskkit::http::detail {

namespace {

using nlohmann::json;

json ref(std::string_view name) { return json{{"$ref", "#/components/schemas/" + std::string(name)}}; }

json json_content(json schema) { return json{{"application/json", {{"schema", std::move(schema)}}}}; }

json response(std::string_view description, json schema) {
    return json{{"description", description}, {"content", json_content(std::move(schema))}};
}

json error_response(std::string_view description) { return response(description, ref("Error")); }

json nullable(json schema) { return json{{"oneOf", json::array({std::move(schema), {{"type", "null"}}})}}; }

json string_list() {
    return json{{"oneOf", json::array({{{"type", "string"}}, {{"type", "array"}, {"items", {{"type", "string"}}}}})}};
}

json components() {
    json s;
    s["Error"] = {
        {"type", "object"},
        {"required", {"error"}},
        {"properties",
         {{"error",
           {{"type", "object"},
            {"required", {"code", "message", "details"}},
            {"properties",
             {{"code",
               {{"type", "string"},
                {"examples",
                 {"bad_json", "validation_failed", "unauthorized", "forbidden", "not_found", "unknown_task",
                  "unknown_run", "unknown_queue", "method_not_allowed", "state_conflict", "payload_too_large",
                  "unsupported_media_type", "headers_too_large", "internal", "runtime_stopped", "too_many_streams"}}}},
              {"message", {{"type", "string"}}},
              {"details",
               {{"description",
                 "null, or for validation_failed an array of {path, message} (a schema task's violations "
                 "add instance_path, keyword and schema_path)"}}}}}}}}}};
    s["Duration"] = {{"description", "milliseconds, or an ISO 8601 duration such as \"PT5M\""},
                     {"oneOf", json::array({{{"type", "integer"}, {"minimum", 0}}, {{"type", "string"}}})}};
    s["Machine"] = {
        {"oneOf",
         json::array(
             {{{"type", "string"},
               {"enum", {"none", "micro", "small-1x", "small-2x", "medium-1x", "medium-2x", "large-1x", "large-2x"}}},
              {{"type", "object"},
               {"required", {"cpu", "memory"}},
               {"properties", {{"cpu", {{"type", "number"}}}, {"memory", {{"type", "number"}}}}},
               {"additionalProperties", false}}})}};
    s["RateLimit"] = nullable(
        {{"type", "object"}, {"properties", {{"limit", {{"type", "integer"}}}, {"period_ms", {{"type", "integer"}}}}}});
    s["Task"] = {{"type", "object"},
                 {"properties",
                  {{"id", {{"type", "string"}}},
                   {"kind", {{"type", "string"}, {"enum", {"task", "schema", "scheduled", "webhook"}}}},
                   {"description", {{"type", "string"}}},
                   {"queue",
                    {{"type", "object"},
                     {"properties",
                      {{"name", {{"type", "string"}}},
                       {"concurrency_limit", {{"type", "integer"}}},
                       {"total_concurrency_limit", {{"type", "integer"}}},
                       {"rate_limit", ref("RateLimit")},
                       {"key_rate_limit", ref("RateLimit")}}}}},
                   {"retry",
                    {{"type", "object"},
                     {"properties",
                      {{"max_attempts", {{"type", "integer"}}},
                       {"factor", {{"type", "number"}}},
                       {"min_timeout_ms", {{"type", "integer"}}},
                       {"max_timeout_ms", {{"type", "integer"}}},
                       {"randomize", {{"type", "boolean"}}}}}}},
                   {"machine", ref("Machine")},
                   {"max_duration_ms", nullable({{"type", "integer"}})},
                   {"schema", {{"description", "the payload's JSON Schema, or null"}}},
                   {"schedules",
                    {{"type", "array"}, {"description", "a scheduled task's schedules (when the build has them)"}}}}}};
    s["TriggerOptions"] = {
        {"type", "object"},
        {"additionalProperties", false},
        {"properties",
         {{"idempotency_key", {{"type", "string"}}},
          {"idempotency_key_ttl", ref("Duration")},
          {"idempotency_scope", {{"type", "string"}, {"enum", json::array({"global", "run", "attempt"})}}},
          {"debounce",
           {{"type", "object"},
            {"additionalProperties", false},
            {"required", json::array({"key", "delay"})},
            {"properties",
             {{"key", {{"type", "string"}, {"minLength", 1}}},
              {"delay", ref("Duration")},
              {"max_delay", ref("Duration")},
              {"mode", {{"type", "string"}, {"enum", json::array({"leading", "trailing"})}}}}}}},
          {"delay",
           {{"description", "milliseconds, an ISO 8601 duration, or an RFC 3339 time to start at"},
            {"oneOf", json::array({{{"type", "integer"}, {"minimum", 0}}, {{"type", "string"}}})}}},
          {"ttl", ref("Duration")},
          {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}, {"maxItems", 10}}},
          {"metadata", nullable({{"type", "object"}})},
          {"queue", {{"type", "string"}}},
          {"concurrency_key", {{"type", "string"}}},
          {"priority", {{"type", "integer"}}},
          {"max_attempts", {{"type", "integer"}, {"minimum", 1}}},
          {"max_duration", ref("Duration")},
          {"machine", ref("Machine")}}}};
    s["TriggerRequest"] = {
        {"type", "object"},
        {"additionalProperties", false},
        {"properties",
         {{"payload", {{"description", "the task's payload, any JSON"}}}, {"options", ref("TriggerOptions")}}}};
    s["TriggerResponse"] = {
        {"type", "object"},
        {"properties",
         {{"id", {{"type", "string"}}},
          {"cached", {{"type", "boolean"}, {"description", "an idempotency key named an earlier run"}}}}}};
    s["Run"] = {{"type", "object"},
                {"description", "a run's record; times are milliseconds since the Unix epoch"},
                {"properties",
                 {{"id", {{"type", "string"}}},
                  {"task_id", {{"type", "string"}}},
                  {"status",
                   {{"type", "string"},
                    {"enum",
                     {"delayed", "queued", "executing", "waiting", "retrying", "completed", "failed", "canceled",
                      "timed_out", "expired", "crashed"}}}},
                  {"payload", json::object()},
                  {"output", json::object()},
                  {"error", nullable({{"type", "object"}})},
                  {"attempts", {{"type", "array"}}},
                  {"queue", {{"type", "string"}}},
                  {"machine", {{"type", "object"}}},
                  {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                  {"metadata", {{"type", "object"}}},
                  {"concurrency_key", {{"type", "string"}}},
                  {"priority", {{"type", "integer"}}},
                  {"idempotency_key", {{"type", "string"}}},
                  {"batch_id", {{"type", "string"}}},
                  {"parent_id", nullable({{"type", "string"}})},
                  {"children", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                  {"created_at", {{"type", "integer"}}},
                  {"started_at", nullable({{"type", "integer"}})},
                  {"finished_at", nullable({{"type", "integer"}})},
                  {"run_at", nullable({{"type", "integer"}})},
                  {"logs", {{"type", "array"}, {"description", "only in GET /api/v1/runs/{id}"}}},
                  {"dropped_logs", {{"type", "integer"}}},
                  {"hook_errors", {{"type", "array"}}},
                  {"streams",
                   {{"type", "object"},
                    {"description", "the run's streams by name (ctx.stream)"},
                    {"additionalProperties", ref("Stream")}}},
                  {"waiting_for", nullable(ref("WaitingFor"))}}}};
    s["Stream"] = {
        {"type", "object"},
        {"description",
         "a stream's most recent chunks, oldest first; chunks[i] is the stream's chunk number dropped + i"},
        {"properties", {{"chunks", {{"type", "array"}}}, {"dropped", {{"type", "integer"}, {"minimum", 0}}}}}};
    s["WaitingFor"] = {
        {"type", "object"},
        {"description", "what a waiting run waits for; null while it does not wait"},
        {"properties",
         {{"kind", {{"type", "string"}, {"enum", json::array({"duration", "run", "batch", "token"})}}},
          {"until", nullable({{"type", "integer"}, {"description", "duration: ms since the Unix epoch"}})},
          {"run_ids", {{"type", "array"}, {"items", {{"type", "string"}}}}},
          {"batch_id", nullable({{"type", "string"}})},
          {"token_id", nullable({{"type", "string"}})},
          {"any", {{"type", "boolean"}, {"description", "run: the first of run_ids to end ends the wait"}}}}}};
    s["RunLink"] = {{"type", "object"},
                    {"properties",
                     {{"id", {{"type", "string"}}},
                      {"task_id", nullable({{"type", "string"}})},
                      {"status", nullable({{"type", "string"}})}}}};
    s["RunDetail"] = {{"type", "object"},
                      {"properties",
                       {{"run", ref("Run")},
                        {"parent", nullable(ref("RunLink"))},
                        {"children", {{"type", "array"}, {"items", ref("RunLink")}}}}}};
    s["RunPage"] = {
        {"type", "object"},
        {"properties",
         {{"runs", {{"type", "array"}, {"items", ref("Run")}}}, {"next_cursor", nullable({{"type", "string"}})}}}};
    s["RunFilter"] = {{"type", "object"},
                      {"additionalProperties", false},
                      {"properties",
                       {{"status", string_list()},
                        {"task", string_list()},
                        {"tag", string_list()},
                        {"queue", {{"type", "string"}}},
                        {"batch", {{"type", "string"}, {"minLength", 1}, {"maxLength", 256}}},
                        {"created_from", {{"description", "ms since the epoch or RFC 3339"}}},
                        {"created_to", {{"description", "ms since the epoch or RFC 3339"}}}}}};
    s["BulkRequest"] = {{"type", "object"},
                        {"additionalProperties", false},
                        {"description", "either filter or ids"},
                        {"properties",
                         {{"filter", ref("RunFilter")},
                          {"ids", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                          {"limit", {{"type", "integer"}, {"minimum", 1}}}}}};
    s["BulkCancelResponse"] = {{"type", "object"},
                               {"properties",
                                {{"matched", {{"type", "integer"}}},
                                 {"canceled", {{"type", "integer"}}},
                                 {"skipped", {{"type", "integer"}}},
                                 {"truncated", {{"type", "boolean"}}},
                                 {"ids", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}};
    s["BulkReplayResponse"] = {{"type", "object"},
                               {"properties",
                                {{"matched", {{"type", "integer"}}},
                                 {"replayed", {{"type", "integer"}}},
                                 {"truncated", {{"type", "boolean"}}},
                                 {"runs", {{"type", "array"}}},
                                 {"failed", {{"type", "array"}}}}}};
    s["Queue"] = {{"type", "object"},
                  {"properties",
                   {{"name", {{"type", "string"}}},
                    {"queued", {{"type", "integer"}}},
                    {"executing", {{"type", "integer"}}},
                    {"waiting", {{"type", "integer"}}},
                    {"limit", {{"type", "integer"}, {"description", "0 = unbounded"}}},
                    {"declared_limit", {{"type", "integer"}}},
                    {"limit_overridden", {{"type", "boolean"}}},
                    {"total_limit", {{"type", "integer"}}},
                    {"paused", {{"type", "boolean"}}},
                    {"rate_limit", ref("RateLimit")},
                    {"key_rate_limit", ref("RateLimit")},
                    {"keys", {{"type", "array"}}}}}};
    return s;
}

/// The query parameters of a run filter.
json filter_parameters(bool paging) {
    json out = json::array();
    const auto add = [&](std::string_view name, std::string_view description) {
        out.push_back({{"name", name},
                       {"in", "query"},
                       {"required", false},
                       {"description", description},
                       {"schema", {{"type", "string"}}}});
    };
    add("status", "statuses, comma-separated or repeated (any of)");
    add("task", "task ids, comma-separated or repeated (any of)");
    add("tag", "tags, comma-separated or repeated (all of)");
    add("queue", "a queue name");
    add("batch", "a batch id (1 to 256 characters): the runs of that batch");
    add("created_from", "created at or after: ms since the epoch or RFC 3339");
    add("created_to", "created before: ms since the epoch or RFC 3339");
    if (paging) {
        add("limit", "page size, 1-500 (default 50)");
        add("cursor", "next_cursor of the previous page");
    } else {
        add("token", "the token, for EventSource clients that cannot send headers");
        add("last_event_id", "resume after this event id (as the Last-Event-ID header does)");
    }
    return out;
}

/// What one route takes and answers, besides what every route answers.
void describe(const route_info& r, json& op) {
    const std::string key = std::string(r.method) + " " + std::string(r.path);
    auto& res = op["responses"];
    const auto body = [&](json schema, bool required) {
        op["requestBody"] = {{"required", required}, {"content", json_content(std::move(schema))}};
    };
    if (key == "GET /api/v1/openapi.json") {
        res["200"] = response("this document", {{"type", "object"}});
    } else if (key == "GET /api/v1/health") {
        res["200"] = response("the server is up", {{"type", "object"}});
    } else if (key == "GET /api/v1/tasks") {
        res["200"] =
            response("the tasks, by id",
                     {{"type", "object"}, {"properties", {{"tasks", {{"type", "array"}, {"items", ref("Task")}}}}}});
    } else if (key == "GET /api/v1/tasks/{id}") {
        res["200"] = response("the task", ref("Task"));
        res["404"] = error_response("unknown_task");
    } else if (key == "POST /api/v1/tasks/{id}/trigger") {
        body(ref("TriggerRequest"), false);
        res["202"] =
            response("the run was created (or an idempotency key named an earlier one)", ref("TriggerResponse"));
        res["400"] = error_response("bad_json or validation_failed (details: each problem with its JSON Pointer)");
        res["404"] = error_response("unknown_task");
        res["413"] = error_response("payload_too_large");
        res["415"] = error_response("unsupported_media_type");
    } else if (key == "GET /api/v1/runs") {
        op["parameters"] = filter_parameters(true);
        res["200"] = response("one page of runs, newest first (records without their logs)", ref("RunPage"));
        res["400"] = error_response("validation_failed: an unknown parameter, a bad status or time, a bad cursor");
    } else if (key == "GET /api/v1/runs/stream") {
        op["parameters"] = filter_parameters(false);
        res["200"] = {{"description",
                       "server-sent events: `event: status` with `id` and data {id, run_id, task_id, status, attempt, "
                       "time}; `event: missed` when events after Last-Event-ID have left the buffer; heartbeats as "
                       "comments"},
                      {"content", {{"text/event-stream", {{"schema", {{"type", "string"}}}}}}}};
        res["503"] = error_response("too_many_streams");
    } else if (key == "GET /api/v1/runs/{id}/streams/{name}") {
        res["200"] =
            response("the stream (empty when the run has not written it)", {{"type", "object"},
                                                                            {"properties",
                                                                             {{"run_id", {{"type", "string"}}},
                                                                              {"name", {{"type", "string"}}},
                                                                              {"chunks", {{"type", "array"}}},
                                                                              {"dropped", {{"type", "integer"}}}}}});
        res["400"] = error_response("validation_failed: not a stream name (1 to 64 of letters, digits, - _ . :)");
        res["404"] = error_response("unknown_run");
    } else if (key == "GET /api/v1/runs/{id}/events") {
        op["parameters"] = json::array({{{"name", "token"},
                                         {"in", "query"},
                                         {"required", false},
                                         {"description", "the token, for EventSource clients that cannot send headers"},
                                         {"schema", {{"type", "string"}}}}});
        res["200"] = {
            {"description",
             "server-sent events: first `event: run` with the run's record (as the list shows it); then "
             "`event: status` {run_id, status, attempt, time, waiting_for}, `event: metadata` {run_id, status, "
             "attempt, time, metadata, change} and `event: stream` {run_id, status, attempt, time, stream, index, "
             "chunk}, each once and in order; `event: end` {run_id, status} after the terminal status, and the "
             "response ends. A reconnect starts again with the run's state. Heartbeats as comments"},
            {"content", {{"text/event-stream", {{"schema", {{"type", "string"}}}}}}}};
        res["404"] = error_response("unknown_run");
        res["503"] = error_response("too_many_streams");
    } else if (key == "POST /api/v1/runs/cancel") {
        body(ref("BulkRequest"), true);
        res["200"] = response("what was canceled", ref("BulkCancelResponse"));
        res["400"] = error_response("validation_failed (an empty filter is refused)");
    } else if (key == "POST /api/v1/runs/replay") {
        body(ref("BulkRequest"), true);
        res["200"] = response("the new runs", ref("BulkReplayResponse"));
        res["400"] = error_response("validation_failed (an empty filter is refused)");
    } else if (key == "GET /api/v1/runs/{id}") {
        res["200"] = response("the run with its logs, parent and children", ref("RunDetail"));
        res["404"] = error_response("unknown_run");
    } else if (key == "POST /api/v1/runs/{id}/cancel") {
        res["200"] = response("canceled", {{"type", "object"}});
        res["404"] = error_response("unknown_run");
        res["409"] = error_response("state_conflict: the run has already ended");
    } else if (key == "POST /api/v1/runs/{id}/retry") {
        res["202"] = response("queued again", {{"type", "object"}});
        res["404"] = error_response("unknown_run");
        res["409"] = error_response("state_conflict: the run is not failed, canceled or timed out");
    } else if (key == "POST /api/v1/runs/{id}/replay") {
        body({{"type", "object"}, {"properties", {{"payload", {{"description", "an edited payload"}}}}}}, false);
        res["202"] = response("the new run", {{"type", "object"}});
        res["400"] = error_response("validation_failed: the edited payload");
        res["404"] = error_response("unknown_run");
    } else if (key == "GET /api/v1/queues") {
        res["200"] =
            response("every queue",
                     {{"type", "object"}, {"properties", {{"queues", {{"type", "array"}, {"items", ref("Queue")}}}}}});
    } else if (key.starts_with("GET /api/v1/queues/") || key.starts_with("POST /api/v1/queues/") ||
               key.starts_with("DELETE /api/v1/queues/")) {
        if (key == "POST /api/v1/queues/{name}/concurrency") {
            body({{"type", "object"},
                  {"required", {"limit"}},
                  {"properties", {{"limit", nullable({{"type", "integer"}, {"minimum", 1}})}}}},
                 true);
            res["400"] = error_response("validation_failed");
        }
        res["200"] = response("the queue", ref("Queue"));
        res["404"] = error_response("unknown_queue");
    } else if (key.starts_with("GET /api/v1/waitpoints") || key.starts_with("POST /api/v1/waitpoints/")) {
        const json time = nullable({{"type", "integer"}, {"description", "milliseconds since the Unix epoch"}});
        const json waitpoint = {
            {"type", "object"},
            {"properties",
             {{"id", {{"type", "string"}}},
              {"status", {{"type", "string"}, {"enum", json::array({"waiting", "completed", "timed_out"})}}},
              {"idempotency_key", {{"type", "string"}}},
              {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}},
              {"created_at", {{"type", "integer"}}},
              {"timeout_at", time},
              {"completed_at", time},
              {"data", {{"description", "what the token was completed with (null until then)"}}}}}};
        if (key == "GET /api/v1/waitpoints") {
            const auto query = [](const char* name, const char* what) {
                return json{{"name", name},
                            {"in", "query"},
                            {"required", false},
                            {"description", what},
                            {"schema", {{"type", "string"}}}};
            };
            op["parameters"] = json::array({query("status", "waiting, completed or timed_out"),
                                            query("tag", "tokens carrying this tag"),
                                            query("limit", "at most this many (1 to 1000, default 100)")});
            res["200"] = response(
                "the tokens, newest first",
                {{"type", "object"}, {"properties", {{"waitpoints", {{"type", "array"}, {"items", waitpoint}}}}}});
            res["400"] = error_response("validation_failed: a bad status or limit");
        } else if (key == "GET /api/v1/waitpoints/{id}") {
            res["200"] = response("the token", waitpoint);
            res["404"] = error_response("unknown_token");
        } else {
            body({{"type", "object"},
                  {"additionalProperties", false},
                  {"properties", {{"data", {{"description", "any JSON: what the waiting runs receive"}}}}}},
                 false);
            res["200"] = response(
                "completed (false: it had been completed before, and nothing changed)",
                {{"type", "object"}, {"properties", {{"completed", {{"type", "boolean"}}}, {"waitpoint", waitpoint}}}});
            res["404"] = error_response("unknown_token");
            res["409"] = error_response("token_timed_out: its timeout passed, it can no longer be completed");
        }
    } else if (key == "GET /metrics") {
        res["200"] = {{"description", "Prometheus text format"},
                      {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}};
    } else if (key == "GET /") {
        op["parameters"] = json::array({{{"name", "token"},
                                         {"in", "query"},
                                         {"required", false},
                                         {"description", "signs in: sets the taskkit_token cookie and redirects to /"},
                                         {"schema", {{"type", "string"}}}}});
        res["200"] = {{"description", "the dashboard"},
                      {"content", {{"text/html", {{"schema", {{"type", "string"}}}}}}}};
        res["303"] = {{"description", "signed in: the cookie is set, go to /"}};
    } else if (key == "GET /assets/{path}") {
        res["200"] = {{"description", "a dashboard file"}};
        res["404"] = error_response("not_found");
    }
}

std::string operation_id(const route_info& r) {
    std::string id;
    for (char c : r.method) id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool upper = true;
    for (char c : r.path) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            id += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
            upper = false;
        } else {
            upper = true;
        }
    }
    return id;
}

}  // namespace

json openapi_document() {
    json doc;
    doc["openapi"] = "3.1.0";
    doc["info"] = {{"title", "taskkit HTTP API"},
                   {"version", "1"},
                   {"description",
                    "Tasks, runs, queues and metrics of a taskkit runtime. Errors are always "
                    "{\"error\": {\"code\", \"message\", \"details\"}}. See docs/http-api.md."}};
    doc["components"]["schemas"] = components();
    doc["components"]["securitySchemes"] = {
        {"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
        {"cookie", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "taskkit_token"}}},
        {"query", {{"type", "apiKey"}, {"in", "query"}, {"name", "token"}}}};
    json paths = json::object();
    for (const auto& entry : route_table()) {
        const auto& r = entry.info;
        json op;
        op["summary"] = r.summary;
        op["operationId"] = operation_id(r);
        json parameters = json::array();
        std::string_view rest = r.path;
        for (auto open = rest.find('{'); open != std::string_view::npos; open = rest.find('{')) {
            const auto close = rest.find('}', open);
            parameters.push_back({{"name", rest.substr(open + 1, close - open - 1)},
                                  {"in", "path"},
                                  {"required", true},
                                  {"schema", {{"type", "string"}}}});
            rest.remove_prefix(close + 1);
        }
        op["responses"] = json::object();
        describe(r, op);
        if (op.contains("parameters"))
            for (auto& p : op["parameters"]) parameters.push_back(p);
        if (!parameters.empty()) op["parameters"] = parameters;
        switch (r.access) {
            case route_access::token:
                op["security"] = json::array({{{"bearer", json::array()}}, {{"cookie", json::array()}}});
                op["responses"]["401"] = error_response("unauthorized");
                break;
            case route_access::stream:
                op["security"] =
                    json::array({{{"bearer", json::array()}}, {{"cookie", json::array()}}, {{"query", json::array()}}});
                op["responses"]["401"] = error_response("unauthorized");
                break;
            case route_access::metrics:
                op["security"] = json::array({json::object(), {{"bearer", json::array()}}});
                break;
            case route_access::open:
                op["security"] = json::array({json::object()});
                break;
        }
        if (r.path.starts_with("/api/")) op["responses"]["500"] = error_response("internal");
        std::string method;
        for (char c : r.method) method += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        paths[std::string(r.path)][method] = std::move(op);
    }
    doc["paths"] = std::move(paths);
    return doc;
}

}  // namespace taskkit::http::detail
