// deliver_webhook: the webhook task at a request's path verifies it, decodes its body and
// triggers a run, answering with the run's id or an error of the server's one shape.
#include <taskkit/http/webhook_delivery.hpp>

#include <algorithm>
#include <cctype>
#include <exception>
#include <string>
#include <utility>

#include <taskkit/detail/decode_failure.hpp>
#include <taskkit/detail/json_depth.hpp>
#include <taskkit/error.hpp>
#include <taskkit/http/signature.hpp>
#include <taskkit/runtime.hpp>
#include <taskkit/schema/schema_error.hpp>  // validation_error's violations (header-only, inline)

#include "webhook_routes.hpp"

namespace taskkit::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

/// `text` with every byte sequence that is not UTF-8 replaced by U+FFFD, so that the answer's
/// JSON can be written out (nlohmann's dump throws on invalid UTF-8).
std::string valid_utf8(std::string_view text) {
    const std::string quoted =
        nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return nlohmann::json::parse(quoted).get<std::string>();
}

webhook_response failure(int status, std::string_view code, std::string_view message,
                         nlohmann::json details = nlohmann::json::object()) {
    return {
        status,
        {{"error", {{"code", std::string(code)}, {"message", valid_utf8(message)}, {"details", std::move(details)}}}}};
}

/// A delivery id becomes an idempotency key, which records and stores keep and write out: printable
/// ASCII, at most 256 characters (GitHub's are UUIDs).
bool acceptable_delivery_id(std::string_view id) {
    if (id.empty() || id.size() > 256) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte > 0x20 && byte < 0x7F;
    });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// The paths where a payload does not decode into the task's type, for the 400's details.
nlohmann::json decode_problems(runtime& rt, const std::string& task_id, const nlohmann::json& payload,
                               const std::string& message) {
    nlohmann::json errors = nlohmann::json::array();
    const auto definition = rt.registry().find(task_id);
    if (definition && !definition->payload_is_json &&
        !taskkit::detail::json_depth_exceeds(payload, max_payload_depth)) {
        try {
            for (const auto& problem :
                 taskkit::detail::locate_decode_problems(payload, message, definition->payload_type))
                errors.push_back({{"path", valid_utf8(problem.path)}, {"message", valid_utf8(problem.message)}});
        } catch (const std::exception&) {
            errors = nlohmann::json::array();  // the message alone says it
        }
    }
    if (errors.empty()) errors.push_back({{"path", ""}, {"message", valid_utf8(message)}});
    return errors;
}

webhook_response trigger_run(runtime& rt, const detail::webhook_route& route, const webhook_request& req,
                             const nlohmann::json& payload) {
    trigger_options options;
    if (route.to_trigger_options) {
        try {
            options = route.to_trigger_options(req);
        } catch (const std::exception& e) {
            return failure(
                400, "invalid_options",
                "webhook task '" + route.task_id + "' could not make trigger options from the request: " + e.what());
        }
    }
    if (!route.delivery_id_header.empty() && options.idempotency_key.empty()) {
        if (const auto given = req.header(route.delivery_id_header)) {
            const std::string_view id = trim(*given);
            if (!acceptable_delivery_id(id))
                return failure(400, "invalid_delivery_id",
                               "the " + route.delivery_id_header +
                                   " header must be 1 to 256 printable ASCII characters without spaces",
                               {{"header", route.delivery_id_header}});
            options.idempotency_key = std::string(id);
        }
    }
    try {
        const auto handle = rt.trigger(route.task_id, payload, std::move(options));
        return {202, {{"id", handle.id()}, {"idempotent", handle.is_cached()}}};
    } catch (const validation_error& e) {
        nlohmann::json errors = nlohmann::json::array();
        for (const auto& v : e.violations())
            errors.push_back({{"path", valid_utf8(v.instance_path)},
                              {"keyword", valid_utf8(v.keyword)},
                              {"schema_path", valid_utf8(v.schema_path)},
                              {"message", valid_utf8(v.message)}});
        return failure(400, "validation_failed", e.what(), {{"task", route.task_id}, {"errors", std::move(errors)}});
    } catch (const payload_error& e) {
        return failure(400, "invalid_payload", e.what(),
                       {{"task", route.task_id}, {"errors", decode_problems(rt, route.task_id, payload, e.what())}});
    } catch (const options_error& e) {
        return failure(400, "invalid_options", e.what(), {{"task", route.task_id}});
    } catch (const runtime_stopped_error& e) {
        return failure(503, "runtime_stopped", e.what());
    } catch (const taskkit::error& e) {
        return failure(500, to_string(e.code()), e.what(), {{"task", route.task_id}});
    }
}

}  // namespace

std::optional<std::string_view> webhook_request::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (iequals(key, name)) return std::string_view(value);
    return std::nullopt;
}

std::optional<webhook_response> deliver_webhook(runtime& rt, const webhook_request& req) {
    std::string_view path = req.path;
    if (const auto query = path.find('?'); query != std::string_view::npos) path = path.substr(0, query);
    const auto route = rt.registry().extension<detail::webhook_routes>().find(path);
    if (!route) return std::nullopt;
    try {
        if (req.method != "POST")
            return failure(405, "method_not_allowed", "webhook " + route->path + " takes POST requests only",
                           {{"allow", "POST"}});
        if (rt.core()->stopping()) return failure(503, "runtime_stopped", "the taskkit runtime has stopped");

        verification verdict;
        try {
            verdict = route->verify(req, rt.clock()->now());
        } catch (const std::exception& e) {
            verdict = verification::reject(std::string("the verifier failed: ") + e.what());
        }
        if (!verdict)
            return failure(401, "invalid_signature", "the request's signature does not verify: " + verdict.reason,
                           {{"scheme", route->verify.scheme()}, {"reason", valid_utf8(verdict.reason)}});

        nlohmann::json payload;
        try {
            payload = nlohmann::json::parse(req.body);
        } catch (const nlohmann::json::parse_error& e) {
            return failure(400, "invalid_json", std::string("the request's body is not JSON: ") + e.what(),
                           {{"byte", e.byte}});
        }
        return trigger_run(rt, *route, req, payload);
    } catch (const unknown_task_error&) {
        return std::nullopt;  // the task went away while its request was delivered
    } catch (const std::exception& e) {
        return failure(500, "internal_error", std::string("the webhook could not be delivered: ") + e.what());
    }
}

std::vector<webhook_endpoint> webhook_endpoints(registry& reg) {
    std::vector<webhook_endpoint> out;
    for (const auto& route : reg.extension<detail::webhook_routes>().all())
        out.push_back({route->path, route->task_id, route->verify.scheme(), route->delivery_id_header});
    return out;
}

}  // namespace taskkit::http
