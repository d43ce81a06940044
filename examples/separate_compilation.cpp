// Separate compilation: the program links taskkit::compiled instead of taskkit::taskkit,
//
//     target_link_libraries(app PRIVATE taskkit::compiled)
//
// so this file, like every file of the program, is compiled with TASKKIT_SEPARATE_COMPILATION
// defined: <taskkit/taskkit.hpp> only declares taskkit's functions, and including it costs about
// 1.2 times what including nlohmann/json and fmt alone does (about 2 times header-only). The
// definitions are compiled once, in a static library of the program's own build. The code is the
// same in either mode. See docs/integration.md.
#include <taskkit/taskkit.hpp>

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#error "this example is built with taskkit::compiled (examples/CMakeLists.txt)"
#endif

struct resize_payload {
    std::string image;
    int width = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(resize_payload, image, width)

inline const taskkit::task<resize_payload, std::string> resize_image({
    .id = "resize-image",
    .retry = {.max_attempts = 3},
    .run = [](const resize_payload& p, taskkit::run_context&) { return fmt::format("{}@{}w", p.image, p.width); },
});

int main() {
    taskkit::runtime rt({.workers = 2});
    auto handle = rt.trigger(resize_image, {.image = "cat.png", .width = 320});
    fmt::print("{} -> {}\n", handle.id(), handle.get());
    fmt::print("status {}\n", taskkit::to_string(handle.status()));
    return 0;
}
