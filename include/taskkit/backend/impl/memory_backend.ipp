/// @file backend/impl/memory_backend.ipp
/// The definitions of what <taskkit/backend/memory_backend.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/src.hpp>.
#pragma once

#include <taskkit/backend/memory_backend.hpp>
#include <taskkit/detail/memory_backend.hpp>

namespace taskkit {

TASKKIT_DECL std::shared_ptr<backend> memory_backend(memory_backend_options options) {
    return std::make_shared<detail::memory_backend>(options);
}

}  // namespace taskkit
