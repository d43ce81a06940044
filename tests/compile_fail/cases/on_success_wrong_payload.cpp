// .on_success whose first parameter is not the task's payload type.
// expect-error: taskkit: \.on_success must be callable as void\(const Payload&, const Result&,
// expect-error:  taskkit::run_context&\)
#include <string>

#include <taskkit/task.hpp>

const taskkit::task<int, int> t({
    .id = "t",
    .run = [](const int& n) { return n; },
    .on_success = [](const std::string&, const int&, taskkit::run_context&) {},
});
