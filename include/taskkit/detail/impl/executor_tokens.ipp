/// @file detail/impl/executor_tokens.ipp
/// The executor's part of waitpoint tokens (docs/waitpoint-tokens.md): ctx.create_token,
/// ctx.wait_for_token, and the backend's word that a token was completed. Included by
/// executor.ipp.
///
/// A run waiting on a token waits on a marker — the same path as ctx.wait_for and waits on
/// children: backend::suspend gives the run's slot and machine back (the wait_spec names the
/// token), the thread parks (a spare worker takes its place) or, driven by hand, runs what else
/// is runnable. The marker rings when the backend reports the token completed
/// (backend_host::token_completed, from this process or, on a shared database, another), when
/// the token's timeout passes on the runtime's timer, or the wait ends on the run's stop token
/// (cancel). The run then reads the token back from the backend, which decides its status.
#pragma once

#include <taskkit/detail/executor.hpp>
#include <taskkit/detail/token_creation.hpp>

namespace taskkit::detail {

/// A wait's error answer, its exception kept (result::unwrap rethrows it).
inline token_wait token_wait_error(run_status status, std::exception_ptr thrown, std::string type) {
    token_wait out;
    out.status = status;
    try {
        std::rethrow_exception(thrown);
    } catch (const error& e) {
        out.error.code = e.code();
        out.error.message = e.what();
    } catch (const std::exception& e) {
        out.error.message = e.what();
    }
    out.error.type = std::move(type);
    out.error.exception = std::move(thrown);
    return out;
}

TASKKIT_DECL auto executor::create_token(run_state& run, const token_options& options, int position)
    -> waitpoint_token {
    if (stopping_) throw runtime_stopped_error("the runtime is shutting down: no new tokens are accepted");
    // Without a key of the user's, the run's n-th token: an attempt executed again finds it.
    const std::string derived = options.idempotency_key.empty() ? run.id + "/token/" + std::to_string(position) : "";
    return detail::create_token(*backend_, clock_->now(), options, derived);
}

TASKKIT_DECL auto executor::wait_for_token(run_state& run, std::string_view token_id) -> token_wait {
    if (!current_frame || current_frame->run != &run || current_frame->core != this)
        throw state_error("ctx.wait_for_token must be called from the run's own thread");
    const std::string id(token_id);
    std::optional<time_point> timeout_at;
    // The token's state as its backend decides it, or nothing while it waits.
    const auto answer = [&]() -> std::optional<token_wait> {
        const auto token = backend_->find_token(id);
        if (!token)
            return token_wait_error(run_status::failed, std::make_exception_ptr(unknown_token_error(id)),
                                    "taskkit::unknown_token_error");
        timeout_at = token->timeout_at;
        switch (token->status) {
            case token_status::completed:
                return token_wait{token->data, run_status::completed, {}};
            case token_status::timed_out:
                return token_wait_error(run_status::timed_out, std::make_exception_ptr(token_timed_out_error(id)),
                                        "taskkit::token_timed_out_error");
            case token_status::waiting:
                break;
        }
        return std::nullopt;
    };
    const auto canceled = [&] {
        if (stopping_)
            return token_wait_error(run_status::canceled,
                                    std::make_exception_ptr(runtime_stopped_error(
                                        "the runtime shut down while the run waited on waitpoint token '" + id +
                                        "': a durable backend queues the run again if its attempt throws")),
                                    "taskkit::runtime_stopped_error");
        return token_wait_error(run_status::canceled,
                                std::make_exception_ptr(canceled_error("the run was canceled while it waited on "
                                                                       "waitpoint token '" +
                                                                       id + "'")),
                                "taskkit::canceled_error");
    };
    if (auto done = answer()) return std::move(*done);
    wait_notice notice(run);  // on_wait now, on_resume once the run executes again
    const wait_info what{.kind = wait_kind::token, .token_id = id};
    if (notice.wanted()) notice.begin(what);
    for (;;) {
        if (run.stop.stop_requested()) return canceled();
        auto marker = std::make_shared<alarm_state>();
        {
            std::lock_guard lock(token_waiters_mutex_);
            token_waiters_.emplace(id, marker);
        }
        struct forget {
            executor& self;
            const std::string& id;
            const run_state* marker;
            ~forget() {
                std::lock_guard lock(self.token_waiters_mutex_);
                auto [first, last] = self.token_waiters_.equal_range(id);
                for (auto it = first; it != last; ++it) {
                    auto held = it->second.lock();
                    if (!held || held.get() == marker) {
                        self.token_waiters_.erase(it);
                        break;
                    }
                }
            }
        } const cleanup{*this, id, marker.get()};
        // Completed between the first read and the marker's registration: nothing would ring it.
        if (auto done = answer()) return std::move(*done);
        if (timeout_at)
            timers_.schedule(*timeout_at, [weak = std::weak_ptr<run_state>(marker)] {
                if (auto m = weak.lock()) ring(*m);
            });
        wait_inside_run({marker}, wait_mode::all, std::nullopt, what, id);
        if (auto done = answer()) return std::move(*done);
        if (run.stop.stop_requested()) return canceled();
        if (manual_ && !marker->ended.load(std::memory_order_acquire))
            // Driven by hand, nothing left to run or fire could complete the token.
            return token_wait_error(
                run_status::failed,
                std::make_exception_ptr(state_error(
                    "waitpoint token '" + id +
                    "' is not completed and this runtime (driven by hand, without worker threads) has "
                    "nothing left to run that could complete it: complete it from a run or give it a timeout")),
                "taskkit::state_error");
        // Woken for another reason (a backend that missed changes wakes every waiter): wait again.
    }
}

TASKKIT_DECL auto executor::token_completed(std::string_view token_id) -> void {
    std::vector<std::shared_ptr<run_state>> markers;
    {
        std::lock_guard lock(token_waiters_mutex_);
        if (token_id.empty()) {
            for (auto& [id, weak] : token_waiters_)
                if (auto m = weak.lock()) markers.push_back(std::move(m));
        } else {
            auto [first, last] = token_waiters_.equal_range(std::string(token_id));
            for (auto it = first; it != last; ++it)
                if (auto m = it->second.lock()) markers.push_back(std::move(m));
        }
    }
    for (const auto& m : markers) ring(*m);
}

}  // namespace taskkit::detail
