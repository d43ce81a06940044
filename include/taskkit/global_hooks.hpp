/// @file global_hooks.hpp
/// Hooks that run for every task of a registry, around each task's own (Trigger.dev's
/// `tasks.onStart(...)`, `tasks.onFailure(...)`, `tasks.middleware(...)`).
#pragma once

#include <taskkit/detail/config.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <taskkit/detail/task_definition_base.hpp>
#include <taskkit/hook_context.hpp>

namespace taskkit {

namespace detail {
struct global_hook_state;
}

/// Keeps a global hook registered: the hook is removed when the registration is destroyed (or
/// reset). Movable, not copyable. After removal no new call of the hook starts; a call already
/// running on another thread finishes. Outliving the registry is fine (it then does nothing).
class [[nodiscard]] hook_registration {
public:
    hook_registration() noexcept = default;
    hook_registration(std::weak_ptr<detail::global_hook_state> state, detail::hook_point point,
                      std::uint64_t id) noexcept
        : state_(std::move(state)), point_(point), id_(id) {}
    hook_registration(hook_registration&& other) noexcept
        : state_(std::move(other.state_)), point_(other.point_), id_(std::exchange(other.id_, 0)) {}
    hook_registration& operator=(hook_registration&& other) noexcept {
        if (this != &other) {
            reset();
            state_ = std::move(other.state_);
            point_ = other.point_;
            id_ = std::exchange(other.id_, 0);
        }
        return *this;
    }
    hook_registration(const hook_registration&) = delete;
    hook_registration& operator=(const hook_registration&) = delete;
    ~hook_registration() { reset(); }

    /// Removes the hook now (nothing when it is removed already).
    TASKKIT_DECL void reset() noexcept;
    /// Whether this registration still holds a hook.
    [[nodiscard]] bool active() const noexcept { return id_ != 0 && !state_.expired(); }

private:
    std::weak_ptr<detail::global_hook_state> state_;
    detail::hook_point point_ = detail::hook_point::on_start;
    std::uint64_t id_ = 0;
};

/// The global hooks of a registry (`reg.hooks()`): each runs for every task of the registry, on
/// every runtime using it, in the order they were registered.
///
/// Order against a task's own hooks: a global hook runs before the task's for the hooks that
/// begin something (middleware, outermost; init, on_start, on_start_attempt, on_wait, on_cancel)
/// and after it for those that end something (on_resume, on_success, on_failure, on_complete,
/// cleanup). Exceptions are treated as the task's own hook's would be: from middleware, init,
/// on_start and on_start_attempt they fail the attempt; from the others they are recorded as
/// hook errors on the run (`hook_errors`, named "global on_success", …) and change nothing else.
/// @code
/// taskkit::hook_registration logged = reg.hooks().on_start_attempt([](const taskkit::hook_context& hc) {
///     hc.ctx().logger().info("attempt " + std::to_string(hc.ctx().attempt().number));
/// });
/// @endcode
class global_hooks {
public:
    using hook = std::function<void(const hook_context&)>;
    using middleware_hook = std::function<void(const hook_context&, const std::function<void()>& next)>;

    TASKKIT_DECL global_hooks();

    /// (hc, next): wraps each attempt of every task, outside the task's own middleware; must call
    /// `next()` exactly once.
    TASKKIT_DECL hook_registration middleware(middleware_hook fn);
    TASKKIT_DECL hook_registration init(hook fn);              ///< every attempt, first
    TASKKIT_DECL hook_registration on_start(hook fn);          ///< the first attempt only
    TASKKIT_DECL hook_registration on_start_attempt(hook fn);  ///< every attempt, before run
    TASKKIT_DECL hook_registration on_wait(hook fn);           ///< a wait begins: hc.wait()
    TASKKIT_DECL hook_registration on_resume(hook fn);         ///< a wait ended: hc.wait()
    TASKKIT_DECL hook_registration on_cancel(hook fn);         ///< canceled while executing
    TASKKIT_DECL hook_registration on_success(hook fn);        ///< an attempt completed
    TASKKIT_DECL hook_registration on_failure(hook fn);        ///< the run failed, was canceled or timed out
    TASKKIT_DECL hook_registration on_complete(hook fn);       ///< the run ended, either way
    TASKKIT_DECL hook_registration cleanup(hook fn);           ///< after every attempt

    // For the runtime.

    /// A bit per detail::hook_point holding at least one hook now (one atomic load): an attempt
    /// reads it once when it starts and skips every point without hooks.
    [[nodiscard]] TASKKIT_DECL unsigned held_points() const noexcept;
    /// The hooks registered at `point` now, in registration order.
    [[nodiscard]] TASKKIT_DECL std::vector<std::shared_ptr<const hook>> at(detail::hook_point point) const;
    /// The middleware registered now, in registration order.
    [[nodiscard]] TASKKIT_DECL std::vector<std::shared_ptr<const middleware_hook>> middlewares() const;

private:
    TASKKIT_DECL hook_registration add(detail::hook_point point, hook fn);
    std::shared_ptr<detail::global_hook_state> state_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/global_hooks.ipp>
#endif
