// deliver_webhook: the webhook task at a request's path verifies, decodes and triggers it.
#include <taskkit/http/webhook_delivery.hpp>

#include <algorithm>
#include <cctype>

#include <taskkit/runtime.hpp>

namespace taskkit::http {

namespace {
bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}
}  // namespace

std::optional<std::string_view> webhook_request::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (iequals(key, name)) return std::string_view(value);
    return std::nullopt;
}

std::optional<webhook_response> deliver_webhook(runtime& /*rt*/, const webhook_request& /*req*/) {
    // No webhook task registers a path yet: every path is unknown.
    return std::nullopt;
}

}  // namespace taskkit::http
