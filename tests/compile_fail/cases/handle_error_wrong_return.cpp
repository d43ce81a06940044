// .handle_error returning a bool instead of a taskkit::error_decision.
// expect-error: taskkit: \.handle_error must be callable as taskkit::error_decision\(const Payload&,
// expect-error:  const taskkit::error_info&, taskkit::run_context&\)
#include <taskkit/task.hpp>

const taskkit::task<int> t({
    .id = "t",
    .run = [](const int&) {},
    .handle_error = [](const int&, const taskkit::error_info&, taskkit::run_context&) { return true; },
});
