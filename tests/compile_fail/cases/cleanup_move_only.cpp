// .cleanup given a callable that cannot be copied (hooks are kept in a std::function).
// expect-error: taskkit: \.cleanup must be copyable
#include <memory>

#include <taskkit/task.hpp>

const taskkit::task<int> t({
    .id = "t",
    .run = [](const int&) {},
    .cleanup = [owned = std::make_unique<int>(1)](const int&, taskkit::run_context&) {},
});
