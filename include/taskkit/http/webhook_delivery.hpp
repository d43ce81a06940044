/// @file http/webhook_delivery.hpp
/// The webhook request a server hands to taskkit, the answer it gets back, and deliver_webhook,
/// which finds the webhook task at the request's path and lets it answer.
///
/// The HTTP server (taskkit/http/server.hpp) calls deliver_webhook for every request whose path
/// belongs to a webhook task; a program with a server of its own can call it just the same.
/// @code
/// taskkit::http::webhook_request req{.method = "POST", .path = "/webhooks/github", .body = raw_body,
///                                    .headers = {{"X-Hub-Signature-256", "sha256=..."}}};
/// if (auto answer = taskkit::http::deliver_webhook(rt, req)) reply(answer->status, answer->body.dump());
/// else reply(404, ...);
/// @endcode
/// Part of the optional HTTP integration: link the CMake target `taskkit::http`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/fwd.hpp>

namespace taskkit::http {

/// A webhook request as received: method, path (without the query string), the body's raw bytes
/// (signatures are computed over them, so they must not be re-encoded) and the headers.
struct webhook_request {
    std::string method;  ///< "POST", "GET"…, upper case as sent
    std::string path;    ///< e.g. "/webhooks/github"; a "?query" suffix is ignored
    std::string body;    ///< the raw bytes as received
    std::vector<std::pair<std::string, std::string>> headers;  ///< in the order received

    /// The value of the first header named `name` (compared case-insensitively, as HTTP header
    /// names are), or nullopt when there is none.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

/// The answer to a webhook request: a status code and a JSON body. Errors have the server's one
/// shape, `{"error": {"code": ..., "message": ..., "details": ...}}`.
struct webhook_response {
    int status = 200;
    nlohmann::json body;
};

/// Lets the webhook task registered in `rt.registry()` at `req.path` answer the request:
/// - 202 `{"id": "run_…", "idempotent": false}` when a run was created, or `"idempotent": true`
///   when the request's delivery id names a run created before (nothing new is started);
/// - 401 when the signature (or its timestamp) does not verify; nothing is created;
/// - 400 when the body is not JSON, or does not decode into the task's payload type or fails its
///   schema (`details` says where, with JSON Pointer paths);
/// - 405 for a method other than POST; 503 when the runtime has stopped.
/// Returns nullopt when no webhook task has that path. Never throws for a bad request.
[[nodiscard]] std::optional<webhook_response> deliver_webhook(runtime& rt, const webhook_request& req);

/// A webhook task's endpoint, as a server or a tool lists it.
struct webhook_endpoint {
    std::string path;                ///< e.g. "/webhooks/github"
    std::string task_id;             ///< the webhook task's id
    std::string scheme;              ///< its verifier's: "github", "stripe", "hmac", "unverified", "custom"…
    std::string delivery_id_header;  ///< empty when it has none
};

/// The webhook endpoints registered in `reg`, by path.
[[nodiscard]] std::vector<webhook_endpoint> webhook_endpoints(registry& reg);

}  // namespace taskkit::http
