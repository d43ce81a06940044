/// @file detail/task_definition.hpp
/// A typed task definition: decodes payloads and runs an attempt with its hooks in order.
#pragma once

#include <taskkit/detail/config.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include <taskkit/detail/exception_info.hpp>
#include <taskkit/detail/json_depth.hpp>
#include <taskkit/detail/run_state.hpp>
#include <taskkit/detail/task_definition_base.hpp>
#include <taskkit/error.hpp>
#include <taskkit/result.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/task_options.hpp>

namespace taskkit::detail {

/// Throws payload_error (code invalid_payload) when `payload` nests deeper than
/// max_payload_depth, naming the limit and where it is passed. It walks the payload without
/// recursion, so it is safe on any depth; it comes before anything copies, compares or dumps the
/// payload (all of which recurse).
void check_payload_depth(std::string_view task_id, const nlohmann::json& payload);

template <class P, class R>
class task_definition final : public task_definition_base {
public:
    using run_type = typed_run_state<P, R>;

    explicit task_definition(task_options<P, R> options) : options_(std::move(options)) {
        if (options_.id.empty()) throw options_error("a task needs a non-empty .id");
        if (!options_.run) throw options_error("task '" + options_.id + "' needs a .run function");
        options_.retry.validate();
        options_.queue.validate("task '" + options_.id + "'");
        if (!options_.machine.valid())
            throw options_error("task '" + options_.id +
                                "': machine cpu and memory must both be greater than 0 (or both 0: machines::none)");
        if (options_.max_duration && options_.max_duration->count() <= 0)
            throw options_error("task '" + options_.id + "': max_duration must be greater than 0");
        id = options_.id;
        description = options_.description;
        retry = options_.retry;
        queue = options_.queue;
        if (queue.name.empty()) queue.name = id;
        machine_spec = options_.machine;
        max_duration = options_.max_duration;
        payload_is_json = std::is_same_v<P, nlohmann::json>;
        define(hook_point::init, static_cast<bool>(options_.init));
        define(hook_point::on_start, static_cast<bool>(options_.on_start));
        define(hook_point::middleware, static_cast<bool>(options_.middleware));
        define(hook_point::on_success, static_cast<bool>(options_.on_success));
        define(hook_point::on_complete, static_cast<bool>(options_.on_complete));
        define(hook_point::handle_error, static_cast<bool>(options_.handle_error));
        define(hook_point::on_failure, static_cast<bool>(options_.on_failure));
        define(hook_point::cleanup, static_cast<bool>(options_.cleanup));
        define(hook_point::on_start_attempt, static_cast<bool>(options_.on_start_attempt));
        define(hook_point::on_wait, static_cast<bool>(options_.on_wait));
        define(hook_point::on_resume, static_cast<bool>(options_.on_resume));
        define(hook_point::on_cancel, static_cast<bool>(options_.on_cancel));
        payload_type.decode = [](const nlohmann::json& j) -> std::shared_ptr<void> {
            std::shared_ptr<run_state> run = std::make_shared<run_type>(j.template get<P>());
            return run;
        };
        payload_type.encode = [](const void* run) { return static_cast<const run_state*>(run)->payload_json(); };
        payload_type.reference = &reference_of<P>;
    }

    [[nodiscard]] const task_options<P, R>& options() const noexcept { return options_; }

    /// A new run. A JSON payload's depth is checked (max_payload_depth) before anything copies
    /// it. A task with a payload validator checks the payload as JSON first (by reference when P
    /// is JSON; json_schema has a depth check of its own, which reports a too-deep payload as a
    /// maxDepth violation), then decodes it back into P, so that a typed payload is accepted
    /// exactly when its JSON would be by id. A plain typed task pays for none of this.
    [[nodiscard]] std::shared_ptr<run_type> make_run(P payload) const {
        if constexpr (std::is_same_v<P, nlohmann::json>) {
            if (validate_payload) validate_payload(payload);
            check_payload_depth(id, payload);
        } else if (check_typed_payload) {
            // A P holding a JSON member deeper than the stack allows overflows in this conversion;
            // only payloads that are JSON already can be checked before any copy.
            check_typed_payload(nlohmann::json(payload));
        }
        return std::make_shared<run_type>(std::move(payload));
    }

    /// Sets the payload schema and validator (before the task is registered). For a typed task,
    /// `check_typed` validates a payload written as JSON and checks that it decodes back; the
    /// integration that validates payloads (schema_task) makes it, so only its files compile what
    /// naming a decode failure takes.
    void set_payload_validation(nlohmann::json schema, std::function<void(const nlohmann::json&)> validate,
                                std::function<void(const nlohmann::json&)> check_typed = {}) {
        payload_schema = std::move(schema);
        validate_payload = std::move(validate);
        if constexpr (!std::is_same_v<P, nlohmann::json>) check_typed_payload = std::move(check_typed);
    }

    [[nodiscard]] std::shared_ptr<run_state> clone_run(const run_state& run) const override {
        return std::make_shared<run_type>(static_cast<const run_type&>(run).payload);  // validated once already
    }

    void call_run(run_state& base, run_context& ctx) const override {
        auto& run = static_cast<run_type&>(base);
        if constexpr (std::is_void_v<R>) {
            options_.run(run.payload, ctx);
        } else {
            R output = options_.run(run.payload, ctx);
            std::lock_guard lock(run.mutex);
            run.output = std::move(output);
        }
    }

    void call_middleware(run_state& base, run_context& ctx, const std::function<void()>& next) const override {
        options_.middleware(static_cast<run_type&>(base).payload, ctx, next);
    }

    void call_hook(hook_point hook, run_state& base, run_context& ctx, run_status status,
                   const error_info* error) const override {
        auto& run = static_cast<run_type&>(base);
        const P& payload = run.payload;
        switch (hook) {
            case hook_point::init:
                options_.init(payload, ctx);
                break;
            case hook_point::on_start:
                options_.on_start(payload, ctx);
                break;
            case hook_point::on_success:
                if constexpr (std::is_void_v<R>) {
                    options_.on_success(payload, ctx);
                } else {
                    // Written by this thread's call_run; from there on only read until the run ends.
                    const R& out = *run.output;
                    options_.on_success(payload, out, ctx);
                }
                break;
            case hook_point::on_complete:
                if (status == run_status::completed) {
                    options_.on_complete(payload, completed_result(run), ctx);
                } else if constexpr (std::is_void_v<R>) {
                    options_.on_complete(payload, result<void>(run.id, status, *error), ctx);
                } else {
                    options_.on_complete(payload, result<R>(run.id, status, std::nullopt, *error), ctx);
                }
                break;
            case hook_point::on_failure:
                options_.on_failure(payload, *error, ctx);
                break;
            case hook_point::cleanup:
                options_.cleanup(payload, ctx);
                break;
            case hook_point::on_start_attempt:
                options_.on_start_attempt(payload, ctx);
                break;
            case hook_point::on_cancel:
                options_.on_cancel(payload, ctx);
                break;
            case hook_point::middleware:
            case hook_point::handle_error:
            case hook_point::on_wait:
            case hook_point::on_resume:
            case hook_point::count_:
                break;  // call_middleware, call_handle_error, call_wait_hook
        }
    }

    void call_wait_hook(hook_point hook, run_state& base, run_context& ctx, const wait_info& wait) const override {
        const P& payload = static_cast<run_type&>(base).payload;
        if (hook == hook_point::on_wait) {
            options_.on_wait(payload, wait, ctx);
        } else if (hook == hook_point::on_resume) {
            options_.on_resume(payload, wait, ctx);
        }
    }

    [[nodiscard]] nlohmann::json output_json(run_state& base) const override {
        if constexpr (std::is_void_v<R>) {
            return nullptr;
        } else {
            auto& run = static_cast<run_type&>(base);
            std::lock_guard lock(run.mutex);
            return run.output ? nlohmann::json(*run.output) : nlohmann::json();
        }
    }

    error_decision call_handle_error(run_state& base, run_context& ctx, const error_info& error) const override {
        return options_.handle_error(static_cast<run_type&>(base).payload, error, ctx);
    }

private:
    result<R> completed_result(run_type& run) const {
        if constexpr (std::is_void_v<R>) {
            return result<void>(run.id, run_status::completed, std::nullopt);
        } else {
            std::lock_guard lock(run.mutex);
            return result<R>(run.id, run_status::completed, run.output, std::nullopt);
        }
    }

    task_options<P, R> options_;
};

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/task_definition.ipp>
#endif
