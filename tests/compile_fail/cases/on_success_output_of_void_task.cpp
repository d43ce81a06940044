// .on_success of a task without a result (Result = void), written with an output parameter.
// expect-error: taskkit: \.on_success must be callable as void\(const Payload&, taskkit::run_context&\)
#include <taskkit/task.hpp>

const taskkit::task<int> t({
    .id = "t",
    .run = [](const int&) {},
    .on_success = [](const int&, const int&, taskkit::run_context&) {},
});
