/// @file backend/memory_backend.hpp
/// The memory backend: a runtime's runs held in its own process (the default backend).
#pragma once

#include <taskkit/detail/config.hpp>

#include <memory>

#include <taskkit/backend/backend.hpp>
#include <taskkit/backend/memory_backend_options.hpp>

namespace taskkit {

/// The default backend of a runtime: its runs live in the process and end with it. Fast (a
/// typed payload is never converted to JSON) and needs nothing else.
/// @code
/// taskkit::runtime rt({.backend = taskkit::memory_backend({.retained_finished = 100'000})});
/// @endcode
[[nodiscard]] std::shared_ptr<backend> memory_backend(memory_backend_options options = {});

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/backend/impl/memory_backend.ipp>
#endif
