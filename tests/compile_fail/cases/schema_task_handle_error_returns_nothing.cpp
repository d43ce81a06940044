// A schema task's hooks are the same types, with the same diagnostics.
// needs: taskkit::schema
// expect-error: taskkit: \.handle_error must be callable as taskkit::error_decision\(const Payload&,
// expect-error:  const taskkit::error_info&, taskkit::run_context&\)
#include <taskkit/schema_task.hpp>

const taskkit::schema_task<int> t({
    .id = "t",
    .schema = true,
    .run = [](const int&) {},
    .handle_error = [](const int&, const taskkit::error_info&, taskkit::run_context&) {},
});
