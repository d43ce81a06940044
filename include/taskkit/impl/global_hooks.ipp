/// @file impl/global_hooks.ipp
/// The definitions of what <taskkit/global_hooks.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <algorithm>

#include <taskkit/error.hpp>
#include <taskkit/global_hooks.hpp>

namespace taskkit {

namespace detail {

/// The hooks of one registry, shared with the registrations (which hold it weakly).
struct global_hook_state {
    static constexpr std::size_t points = static_cast<std::size_t>(hook_point::count_);
    template <class Fn>
    struct entry {
        std::uint64_t id = 0;
        std::shared_ptr<const Fn> fn;
    };
    mutable std::mutex mutex;
    std::array<std::vector<entry<global_hooks::hook>>, points> hooks;
    std::vector<entry<global_hooks::middleware_hook>> middlewares;
    std::atomic<unsigned> mask{0};  // bit per hook_point holding at least one hook
    std::uint64_t next_id = 1;

    void update_mask_locked() noexcept {
        unsigned m = middlewares.empty() ? 0U : 1U << static_cast<unsigned>(hook_point::middleware);
        for (std::size_t i = 0; i < points; ++i)
            if (!hooks[i].empty()) m |= 1U << i;
        mask.store(m, std::memory_order_release);
    }
};

}  // namespace detail

TASKKIT_DECL void hook_registration::reset() noexcept {
    if (id_ == 0) return;
    const std::uint64_t id = std::exchange(id_, 0);
    auto state = state_.lock();
    state_.reset();
    if (!state) return;
    std::shared_ptr<const void> dropped;  // the hook is destroyed outside the lock
    std::lock_guard lock(state->mutex);
    const auto take = [&](auto& list) {
        for (auto it = list.begin(); it != list.end(); ++it) {
            if (it->id == id) {
                dropped = std::move(it->fn);
                list.erase(it);
                return;
            }
        }
    };
    if (point_ == detail::hook_point::middleware) {
        take(state->middlewares);
    } else {
        take(state->hooks[static_cast<std::size_t>(point_)]);
    }
    state->update_mask_locked();
}

TASKKIT_DECL global_hooks::global_hooks() : state_(std::make_shared<detail::global_hook_state>()) {}

TASKKIT_DECL auto global_hooks::add(detail::hook_point point, hook fn) -> hook_registration {
    if (!fn) throw options_error("a global hook must not be empty");
    std::lock_guard lock(state_->mutex);
    const std::uint64_t id = state_->next_id++;
    state_->hooks[static_cast<std::size_t>(point)].push_back({id, std::make_shared<const hook>(std::move(fn))});
    state_->update_mask_locked();
    return hook_registration(state_, point, id);
}

TASKKIT_DECL auto global_hooks::middleware(middleware_hook fn) -> hook_registration {
    if (!fn) throw options_error("a global middleware must not be empty");
    std::lock_guard lock(state_->mutex);
    const std::uint64_t id = state_->next_id++;
    state_->middlewares.push_back({id, std::make_shared<const middleware_hook>(std::move(fn))});
    state_->update_mask_locked();
    return hook_registration(state_, detail::hook_point::middleware, id);
}

TASKKIT_DECL auto global_hooks::init(hook fn) -> hook_registration {
    return add(detail::hook_point::init, std::move(fn));
}
TASKKIT_DECL auto global_hooks::on_start(hook fn) -> hook_registration {
    return add(detail::hook_point::on_start, std::move(fn));
}
TASKKIT_DECL auto global_hooks::on_start_attempt(hook fn) -> hook_registration {
    return add(detail::hook_point::on_start_attempt, std::move(fn));
}
TASKKIT_DECL auto global_hooks::on_wait(hook fn) -> hook_registration {
    return add(detail::hook_point::on_wait, std::move(fn));
}
TASKKIT_DECL auto global_hooks::on_resume(hook fn) -> hook_registration {
    return add(detail::hook_point::on_resume, std::move(fn));
}
TASKKIT_DECL auto global_hooks::on_cancel(hook fn) -> hook_registration {
    return add(detail::hook_point::on_cancel, std::move(fn));
}
TASKKIT_DECL auto global_hooks::on_success(hook fn) -> hook_registration {
    return add(detail::hook_point::on_success, std::move(fn));
}
TASKKIT_DECL auto global_hooks::on_failure(hook fn) -> hook_registration {
    return add(detail::hook_point::on_failure, std::move(fn));
}
TASKKIT_DECL auto global_hooks::on_complete(hook fn) -> hook_registration {
    return add(detail::hook_point::on_complete, std::move(fn));
}
TASKKIT_DECL auto global_hooks::cleanup(hook fn) -> hook_registration {
    return add(detail::hook_point::cleanup, std::move(fn));
}

TASKKIT_DECL auto global_hooks::held_points() const noexcept -> unsigned {
    return state_->mask.load(std::memory_order_acquire);
}

TASKKIT_DECL auto global_hooks::at(detail::hook_point point) const -> std::vector<std::shared_ptr<const hook>> {
    std::vector<std::shared_ptr<const hook>> out;
    std::lock_guard lock(state_->mutex);
    const auto& list = state_->hooks[static_cast<std::size_t>(point)];
    out.reserve(list.size());
    for (const auto& e : list) out.push_back(e.fn);
    return out;
}

TASKKIT_DECL auto global_hooks::middlewares() const -> std::vector<std::shared_ptr<const middleware_hook>> {
    std::vector<std::shared_ptr<const middleware_hook>> out;
    std::lock_guard lock(state_->mutex);
    out.reserve(state_->middlewares.size());
    for (const auto& e : state_->middlewares) out.push_back(e.fn);
    return out;
}

}  // namespace taskkit
