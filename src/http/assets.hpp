// The dashboard's files, embedded into taskkit::http at build time (cmake/optional/http.cmake reads
// every file under dashboard/ and generates the table that defines these functions).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace taskkit::http::detail {

/// One embedded file.
struct asset {
    std::string_view path;          ///< "/index.html", "/assets/app.js": its path under dashboard/, with a leading '/'
    std::string_view content_type;  ///< from its extension
    std::string_view bytes;         ///< its content, as it is in the repository
};

/// The embedded file at `path` (e.g. "/index.html"), if there is one.
std::optional<asset> find_asset(std::string_view path);

/// How many files are embedded (0 when the build found no dashboard/ folder).
std::size_t asset_count() noexcept;

}  // namespace taskkit::http::detail
