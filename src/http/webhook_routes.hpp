// The webhook tasks' paths, kept per registry (a registry extension). Private to taskkit::http.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <taskkit/http/webhook_task.hpp>
#include <taskkit/registry.hpp>

namespace taskkit::http::detail {

/// The routes of one registry, by path. A route is shared with the deliveries using it, so a
/// webhook task destroyed during a delivery leaves it valid until that delivery is done.
class webhook_routes final : public taskkit::detail::registry_extension {
public:
    /// Adds a route; throws options_error when another route has its path.
    void add(std::shared_ptr<const webhook_route> route);
    /// Removes `route` (only that route: a path taken again since is left alone).
    void remove(const webhook_route* route);
    /// The route at `path`, or null.
    [[nodiscard]] std::shared_ptr<const webhook_route> find(std::string_view path) const;
    /// Every route, by path.
    [[nodiscard]] std::vector<std::shared_ptr<const webhook_route>> all() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<const webhook_route>, std::less<>> by_path_;
};

}  // namespace taskkit::http::detail
