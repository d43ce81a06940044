// .on_failure without the run_context parameter every hook takes last.
// expect-error: taskkit: \.on_failure must be callable as void\(const Payload&,
// expect-error:  const taskkit::error_info&, taskkit::run_context&\)
#include <taskkit/task.hpp>

const taskkit::task<int> t({
    .id = "t",
    .run = [](const int&) {},
    .on_failure = [](const int&, const taskkit::error_info&) {},
});
