/// @file queue.hpp
/// taskkit::queue: a queue declared once and named by several tasks, whose limits bound them together.
#pragma once

#include <taskkit/detail/config.hpp>

#include <string>
#include <utility>

#include <taskkit/queue_options.hpp>
#include <taskkit/registry.hpp>

namespace taskkit {

/// A shared queue, declared once at namespace scope and named by tasks:
/// @code
/// inline const taskkit::queue emails({.name = "emails", .concurrency_limit = 5});
/// inline const taskkit::task<email> welcome({.id = "welcome", .queue = emails, .run = ...});
/// inline const taskkit::task<email> digest({.id = "digest", .queue = emails, .run = ...});
/// @endcode
/// Runs of every task naming it count against its limits together. A trigger can also send a
/// run to it by name: `{.queue = "emails"}`.
class queue {
public:
    explicit queue(queue_options options, taskkit::registry& reg = taskkit::registry::global());
    queue(const queue&) = delete;
    queue& operator=(const queue&) = delete;
    ~queue();

    [[nodiscard]] const std::string& name() const noexcept { return options_.name; }
    [[nodiscard]] const queue_options& options() const noexcept { return options_; }

    /// Lets a task name this queue: `.queue = emails`.
    operator queue_options() const { return options_; }  // NOLINT(google-explicit-constructor)

private:
    queue_options options_;
    taskkit::registry* registry_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/queue.ipp>
#endif
