/// @file backend/impl/run_request.ipp
/// The definitions of what <taskkit/backend/run_request.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/src.hpp>.
#pragma once

#include <taskkit/backend/run_request.hpp>
#include <taskkit/detail/run_state.hpp>

namespace taskkit {

TASKKIT_DECL auto run_request::payload() const -> nlohmann::json {
    return local ? static_cast<const detail::run_state&>(*local).payload_json() : nlohmann::json(nullptr);
}

}  // namespace taskkit
