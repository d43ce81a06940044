// Realtime: a report is written by a parent run and its chunks; each chunk run reports progress on
// its parent's metadata (ctx.metadata().parent()), and the parent streams the report's text as it
// is written (ctx.stream). main() follows both as they happen — the way a UI would show a progress
// bar and an LLM's tokens — then reads the stream whole once the run is done.
#include <taskkit/taskkit.hpp>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/core.h>

inline const taskkit::task<int, std::string> write_section({
    .id = "write-section",
    .run =
        [](const int& n, taskkit::run_context& ctx) {
            std::string text = "section " + std::to_string(n);
            ctx.metadata().parent().increment("sections_done");  // the parent's progress bar moves
            return text;
        },
});

inline const taskkit::task<int, std::string> write_report({
    .id = "write-report",
    .run =
        [](const int& sections, taskkit::run_context& ctx) {
            ctx.metadata().set("sections", sections).set("sections_done", 0);
            std::vector<taskkit::batch_item<int>> items;
            for (int i = 1; i <= sections; ++i) items.push_back({i});
            auto written = write_section.batch_trigger_and_wait(items);
            auto out = ctx.stream("text");  // token by token, as a model would produce it
            for (const auto& section : written)
                for (const char c : section.unwrap() + "\n") out.append(std::string(1, c));
            return std::to_string(written.size()) + " sections";
        },
});

int main() {
    taskkit::runtime rt({.workers = 4});
    std::mutex m;
    int last_done = 0;
    std::string live_text;
    // Watching by tag starts before the trigger, so no update can come first. (A stream subscriber
    // gets the chunks appended before it, so it may start any time.)
    auto progress = rt.watch(taskkit::run_filter{.tags = {"report-42"}}, [&](const taskkit::run_update& u) {
        if (u.kind != taskkit::update_kind::metadata) return;
        std::lock_guard lock(m);
        last_done = std::max(last_done, u.metadata->value("sections_done", 0));
    });
    auto report = rt.trigger(write_report, 3, {.tags = {"report-42"}});
    auto text = report.stream("text").subscribe([&](const taskkit::stream_chunk& c) {
        std::lock_guard lock(m);
        live_text += c.data.get<std::string>();
    });

    fmt::print("report: {}\n", report.get());
    progress.unsubscribe();
    text.unsubscribe();
    std::lock_guard lock(m);
    fmt::print("progress seen: {}/3 sections\n", last_done);
    fmt::print("followed live: {} characters\n", live_text.size());
    const auto whole = report.stream("text").read();
    std::string read_after;
    for (const auto& chunk : whole.chunks) read_after += chunk.get<std::string>();
    fmt::print("read after: {}", read_after);
    fmt::print("same text: {}\n", read_after == live_text ? "yes" : "no");
}
