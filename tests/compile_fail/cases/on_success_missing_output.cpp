// .on_success of a task with a result, written without the output parameter.
// expect-error: taskkit: \.on_success must be callable as void\(const Payload&, const Result&,
// expect-error:  taskkit::run_context&\)
#include <taskkit/task.hpp>

const taskkit::task<int, int> t({
    .id = "t",
    .run = [](const int& n) { return n; },
    .on_success = [](const int&, taskkit::run_context&) {},
});
