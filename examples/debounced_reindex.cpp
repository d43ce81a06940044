// Debounce: a burst of "this document changed" triggers collapses into one "rebuild the search
// index" run, which starts once the burst has been quiet for the debounce delay (never later than
// max_delay after the first trigger). Trailing mode runs with the last trigger's payload.
#include <set>
#include <string>
#include <vector>

#include <taskkit/taskkit.hpp>

struct reindex_request {
    std::string site;
    std::string changed;  // the document whose change asked for the rebuild
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(reindex_request, site, changed)

inline const taskkit::task<reindex_request, std::string> rebuild_search_index({
    .id = "rebuild-search-index",
    .run =
        [](const reindex_request& r) {
            // ... read every document of r.site and write the index ...
            return fmt::format("rebuilt the search index of {} after {}", r.site, r.changed);
        },
});

int main() {
    using namespace std::chrono_literals;
    taskkit::runtime rt({.workers = 2});
    // One window per site: the key. 300 ms of quiet before the rebuild, 10 s at most.
    const taskkit::trigger_options debounced{
        .debounce = {
            .key = "docs.example.com", .delay = 300ms, .max_delay = 10s, .mode = taskkit::debounce_mode::trailing}};

    std::vector<taskkit::run_handle<std::string>> handles;
    for (int i = 1; i <= 50; ++i)
        handles.push_back(
            rt.trigger(rebuild_search_index, {"docs.example.com", "doc-" + std::to_string(i)}, debounced));
    std::set<std::string> ids;
    for (const auto& h : handles) ids.insert(h.id());
    fmt::print("{} triggers, {} run\n", handles.size(), ids.size());
    fmt::print("{}\n", handles.front().get());  // every handle waits for the same run
    fmt::print("runs of the task: {}\n", rt.list({.tasks = {"rebuild-search-index"}}).runs.size());

    // The run has started (here: ended), so the next trigger opens a new window: a new run.
    auto next = rt.trigger(rebuild_search_index, {"docs.example.com", "doc-51"}, debounced);
    fmt::print("after it ran, a trigger starts a new run: {}\n", next.id() != handles.front().id());
    fmt::print("{}\n", next.get());
    return 0;
}
