// .on_start taking the payload by non-const reference (hooks get it as const Payload&).
// expect-error: taskkit: \.on_start must be callable as void\(const Payload&, taskkit::run_context&\)
#include <taskkit/task.hpp>

const taskkit::task<int> t({
    .id = "t",
    .run = [](const int&) {},
    .on_start = [](int&, taskkit::run_context&) {},
});
