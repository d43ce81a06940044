// .middleware without the `next` parameter it must call.
// expect-error: taskkit: \.middleware must be callable as void\(const Payload&, taskkit::run_context&,
// expect-error:  const std::function<void\(\)>& next\)
#include <taskkit/task.hpp>

const taskkit::task<int> t({
    .id = "t",
    .run = [](const int&) {},
    .middleware = [](const int&, taskkit::run_context&) {},
});
