// What the fragments of docs/debounce.md use: declared, never defined (the fragments are
// compiled, not linked).
#pragma once
#include <taskkit/taskkit.hpp>

#include <string>

struct reindex_request {
    std::string site;
    std::string changed;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(reindex_request, site, changed)
extern const taskkit::task<reindex_request, std::string> rebuild_search_index;
extern const reindex_request request;
extern const taskkit::task<std::string> reindex;
