// .init given something that is not callable at all.
// expect-error: taskkit: \.init must be callable as void\(const Payload&, taskkit::run_context&\)
#include <taskkit/task.hpp>

const taskkit::task<int> t({
    .id = "t",
    .run = [](const int&) {},
    .init = 42,
});
