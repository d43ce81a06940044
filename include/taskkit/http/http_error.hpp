/// @file http/http_error.hpp
/// An error of the HTTP API: the status and the one JSON shape every error answer has,
/// `{"error": {"code": "...", "message": "...", "details": ...}}`.
/// Part of the optional HTTP integration: link the CMake target `taskkit::http`.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include <taskkit/error.hpp>

namespace taskkit::http {

/// An error answer of the HTTP API. The server throws it inside its handlers and answers with
/// `status()` and `body()`; the codes are stable (see docs/http-api.md):
/// bad_json, validation_failed (400), unauthorized (401), forbidden (403), not_found,
/// unknown_task, unknown_run (404), method_not_allowed (405), state_conflict (409),
/// payload_too_large (413), unsupported_media_type (415), headers_too_large (431),
/// internal (500), runtime_stopped, too_many_streams (503).
/// @code
/// throw taskkit::http::http_error(404, "unknown_run", "no run with id 'run_42'");
/// @endcode
class http_error : public taskkit::error {
public:
    http_error(int status, std::string code, const std::string& message, nlohmann::json details = nullptr)
        : taskkit::error(core_code(status), message),
          status_(status),
          code_(std::move(code)),
          details_(std::move(details)) {}

    /// The HTTP status of the answer.
    [[nodiscard]] int status() const noexcept { return status_; }
    /// The stable code of the answer, e.g. "unknown_task".
    [[nodiscard]] const std::string& api_code() const noexcept { return code_; }
    /// What the answer says besides the message (the violations of a payload, say); null when none.
    [[nodiscard]] const nlohmann::json& details() const noexcept { return details_; }

    /// `{"error": {"code", "message", "details"}}`.
    [[nodiscard]] nlohmann::json body() const {
        nlohmann::json inner(nlohmann::json::value_t::object);
        inner["code"] = code_;
        inner["message"] = what();
        inner["details"] = details_;
        nlohmann::json out(nlohmann::json::value_t::object);
        out["error"] = std::move(inner);
        return out;
    }

private:
    /// The core's code nearest to an HTTP status.
    static error_code core_code(int status) noexcept {
        switch (status) {
            case 404:
                return error_code::unknown_task;
            case 409:
                return error_code::invalid_state;
            case 503:
                return error_code::runtime_stopped;
            default:
                return status >= 500 ? error_code::store_failure : error_code::invalid_options;
        }
    }

    int status_;
    std::string code_;
    nlohmann::json details_;
};

}  // namespace taskkit::http
