/// @file backend/memory_backend_options.hpp
/// The options of the memory backend.
#pragma once

#include <taskkit/detail/config.hpp>

#include <cstddef>

namespace taskkit {

/// Options of the memory backend.
struct memory_backend_options {
    /// Finished runs kept for the runs API (the most recent ones); every unfinished run is kept.
    /// Handles to forgotten runs keep working.
    std::size_t retained_finished = 10'000;
};

}  // namespace taskkit
