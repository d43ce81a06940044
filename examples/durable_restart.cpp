// Durable runs: runs outlive the runtime that triggered them. A first runtime on a SQLite file
// triggers three runs (one of them delayed) and stops before running any; a second runtime on the
// same file — a restarted process — runs them. Needs taskkit::sqlite (see docs/durable-runs.md).
#include <filesystem>
#include <random>

#include <taskkit/sqlite.hpp>
#include <taskkit/taskkit.hpp>

using namespace std::chrono_literals;

struct email {
    std::string to;
    std::string subject;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(email, to, subject)

int main() {
    // A fresh database file for this example (a real program keeps one path, e.g. "tasks.db").
    const auto folder =
        std::filesystem::temp_directory_path() / fmt::format("taskkit-durable-restart-{:08x}", std::random_device{}());
    std::filesystem::create_directories(folder);
    const auto path = (folder / "tasks.db").string();

    taskkit::registry reg;
    const taskkit::task<email, std::string> send_email(
        {.id = "send-email",
         .run =
             [](const email& e, taskkit::run_context& ctx) {
                 // ctx.attempt() says whether this is a new attempt of a run that may have started
                 // before (a crash): an email service would get a key like the run id to send once.
                 return fmt::format("sent '{}' to {} (attempt {})", e.subject, e.to, ctx.attempt().number);
             }},
        reg);

    std::vector<std::string> ids;
    {
        // The first process. `.workers = 0`: this runtime runs nothing on its own — it stops here
        // with every run still queued (or delayed) in the file.
        taskkit::runtime rt({.workers = 0, .registry = &reg, .backend = taskkit::sqlite_backend({.path = path})});
        ids.push_back(rt.trigger(send_email, {"ada@example.com", "Welcome"}).id());
        ids.push_back(rt.trigger(send_email, {"alan@example.com", "Welcome"}).id());
        ids.push_back(rt.trigger(send_email, {"ada@example.com", "Your first week"}, {.delay = 300ms}).id());
        fmt::print("first runtime: triggered {} runs, then stopped without running them\n", ids.size());
    }

    int completed = 0;
    {
        // The restarted process: the same file, the same task definitions.
        taskkit::runtime rt({.workers = 2, .registry = &reg, .backend = taskkit::sqlite_backend({.path = path})});
        for (const auto& id : ids) {
            auto handle = rt.handle(id);
            if (!handle) continue;
            const auto result = handle->get();  // waits for the run; the delayed one too
            fmt::print("second runtime: {}\n", result.get<std::string>());
            ++completed;
        }
    }
    fmt::print("{} of {} runs triggered before the restart completed after it\n", completed, ids.size());

    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
    return completed == static_cast<int>(ids.size()) ? 0 : 1;
}
