// .on_complete of a task returning int, taking a result<void>.
// expect-error: taskkit: \.on_complete must be callable as void\(const Payload&,
// expect-error:  const taskkit::result<Result>&, taskkit::run_context&\)
#include <taskkit/task.hpp>

const taskkit::task<int, int> t({
    .id = "t",
    .run = [](const int& n) { return n; },
    .on_complete = [](const int&, const taskkit::result<void>&, taskkit::run_context&) {},
});
