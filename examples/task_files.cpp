// A program in two files, header-only: task_files/signup_tasks.cpp defines and triggers a task and
// includes only <taskkit/task.hpp>; this file creates the runtime, so it includes
// <taskkit/runtime.hpp>, whose engine code is compiled here and only here.
#include <fmt/format.h>

#include <taskkit/runtime.hpp>

#include "task_files/signup_tasks.hpp"

int main() {
    taskkit::runtime rt({.workers = 2});  // the first runtime: triggers outside a run come here
    const std::string sent = signup::welcome({.email = "ada@example.org", .plan = 2});
    fmt::print("sent {}\n", sent);
    return sent == "email-to-ada@example.org" ? 0 : 1;
}
