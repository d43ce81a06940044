/// @file queue.hpp
/// Queue options: how many runs of a queue may execute at once.
#pragma once

#include <string>

namespace taskkit {

/// Where a task's runs wait, and how many of them may execute at once.
/// Without a name, a task gets a queue of its own named after its id. Tasks naming the same
/// queue share its limit.
/// @code
/// .queue = {.concurrency_limit = 1}                      // one at a time
/// .queue = {.name = "emails", .concurrency_limit = 5}    // shared by every task naming "emails"
/// @endcode
struct queue_options {
    std::string name;           ///< empty: the task's own queue, named after the task id
    int concurrency_limit = 0;  ///< runs executing at once; 0 = unbounded
};

}  // namespace taskkit
