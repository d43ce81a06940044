// The webhook tasks' paths, kept per registry, and the checks of a webhook task's options.
#include "webhook_routes.hpp"

#include <string_view>
#include <utility>

#include <taskkit/error.hpp>

namespace taskkit::http::detail {

void check_webhook_route(const webhook_route& route) {
    const std::string who = "webhook task '" + route.task_id + "'";
    if (route.path.empty() || route.path.front() != '/')
        throw options_error(who + ": .path must start with '/' (got \"" + route.path + "\")");
    for (const char c : route.path) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '?' || c == '#' || byte <= 0x20 || byte >= 0x7F)
            throw options_error(who + ": .path \"" + route.path +
                                "\" may hold no query, fragment, space, control or non-ASCII character");
    }
    // The HTTP server answers these itself: a webhook task there would never be called.
    const std::string_view path = route.path;
    if (path == "/" || path == "/api" || path.starts_with("/api/") || path == "/metrics" || path == "/assets" ||
        path.starts_with("/assets/"))
        throw options_error(who + ": .path \"" + route.path +
                            "\" belongs to the HTTP server (/, /api/…, /metrics, /assets/…): pick another, e.g. "
                            "/webhooks/<name>");
    if (!route.verify)
        throw options_error(who +
                            " has no .verify: give a verifier (taskkit::http::github_signature({.secret = ...}), "
                            "stripe_signature, hmac_signature, your own) or say taskkit::http::unverified()");
    for (const char c : route.delivery_id_header) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7F || c == ':')
            throw options_error(who + ": .delivery_id_header \"" + route.delivery_id_header +
                                "\" is not a header name");
    }
}

void webhook_routes::add(std::shared_ptr<const webhook_route> route) {
    std::lock_guard lock(mutex_);
    auto [at, added] = by_path_.try_emplace(route->path, route);
    if (!added)
        throw options_error("webhook task '" + route->task_id + "': the path \"" + route->path +
                            "\" is taken by webhook task '" + at->second->task_id + "'");
}

void webhook_routes::remove(const webhook_route* route) {
    std::lock_guard lock(mutex_);
    const auto at = by_path_.find(route->path);
    if (at != by_path_.end() && at->second.get() == route) by_path_.erase(at);
}

std::shared_ptr<const webhook_route> webhook_routes::find(std::string_view path) const {
    std::lock_guard lock(mutex_);
    const auto at = by_path_.find(path);
    return at == by_path_.end() ? nullptr : at->second;
}

std::vector<std::shared_ptr<const webhook_route>> webhook_routes::all() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<const webhook_route>> out;
    out.reserve(by_path_.size());
    for (const auto& [path, route] : by_path_) out.push_back(route);
    return out;
}

webhook_route_registration::webhook_route_registration(taskkit::registry& reg,
                                                       std::shared_ptr<const webhook_route> route)
    : registry_(&reg), route_(std::move(route)) {
    registry_->extension<webhook_routes>().add(route_);
}

webhook_route_registration::~webhook_route_registration() {
    registry_->extension<webhook_routes>().remove(route_.get());
}

}  // namespace taskkit::http::detail
