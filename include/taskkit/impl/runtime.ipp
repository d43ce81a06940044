/// @file impl/runtime.ipp
/// The definitions of what <taskkit/runtime.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/runtime.hpp>

// The engine: header-only, it comes with this header and no other, so that files which only define
// and trigger tasks do not compile it.
#include <taskkit/detail/executor.hpp>
#include <taskkit/detail/payload_decoding.hpp>
#include <taskkit/detail/token_creation.hpp>

namespace taskkit {

TASKKIT_DECL runtime::runtime(runtime_options options) {
    const bool candidate = options.become_default;
    core_ = detail::runtime_core::create(std::move(options));
    core_->tasks().attach_runtime(core_, this, candidate);
}

TASKKIT_DECL auto runtime::default_runtime() -> runtime& {
    if (auto* chosen = registry::global().default_runtime()) return *chosen;
    static runtime built_in;  // the program made no runtime of its own on the global registry
    return built_in;
}

TASKKIT_DECL auto runtime::trigger(std::string_view task_id, const nlohmann::json& payload, trigger_options options)
    -> run_handle<nlohmann::json> {
    auto definition = core_->tasks().at(task_id);
    auto run = detail::make_run_from_json(*definition, payload);
    auto answer = core_->submit(run, std::move(definition), options);
    return run_handle<nlohmann::json>(answer, answer != run);
}

TASKKIT_DECL auto runtime::retrieve(std::string_view run_id) const -> std::optional<run_record> {
    return core_->runs().find(run_id);
}

TASKKIT_DECL auto runtime::handle(std::string_view run_id) const -> std::optional<run_handle<nlohmann::json>> {
    if (auto run = core_->local(run_id)) return run_handle<nlohmann::json>(std::move(run));
    return std::nullopt;
}

TASKKIT_DECL auto runtime::cancel(std::string_view run_id) -> bool { return core_->runs().cancel({run_id, nullptr}); }

TASKKIT_DECL auto runtime::retry(std::string_view run_id) -> void { core_->retry(find_or_throw(run_id)); }

TASKKIT_DECL auto runtime::subscribe(std::function<void(const status_event&)> callback) -> subscription {
    return subscription(core_, core_->subscribe(std::move(callback)));
}

TASKKIT_DECL auto runtime::subscribe(std::string run_id, std::function<void(const status_event&)> callback)
    -> subscription {
    return subscription(
        core_, core_->subscribe(std::move(callback), [id = std::move(run_id)](const detail::run_state& run,
                                                                              run_status) { return run.id == id; }));
}

TASKKIT_DECL auto runtime::subscribe(run_filter filter, std::function<void(const status_event&)> callback)
    -> subscription {
    return subscription(
        core_,
        core_->subscribe(std::move(callback), [f = std::move(filter)](const detail::run_state& run, run_status status) {
            return f.matches(run.facts(), status);
        }));
}

TASKKIT_DECL auto runtime::watch(std::string run_id, std::function<void(const run_update&)> callback) -> subscription {
    return subscription(
        core_, core_->watch(std::move(callback), [id = std::move(run_id)](const detail::run_state& run, run_status) {
            return run.id == id;
        }));
}

TASKKIT_DECL auto runtime::watch(run_filter filter, std::function<void(const run_update&)> callback) -> subscription {
    return subscription(core_, core_->watch(std::move(callback),
                                            [f = std::move(filter)](const detail::run_state& run, run_status status) {
                                                return f.matches(run.facts(), status);
                                            }));
}

TASKKIT_DECL auto runtime::stream(std::string run_id, std::string name) const -> stream_reader {
    return stream_reader(core_, std::move(run_id), std::move(name));
}

TASKKIT_DECL auto runtime::replay(std::string_view run_id) -> run_handle<nlohmann::json> {
    return run_handle<nlohmann::json>(core_->replay(find_or_throw(run_id)));
}

TASKKIT_DECL auto runtime::reschedule(std::string_view run_id, const run_delay& delay) -> void {
    core_->reschedule(find_or_throw(run_id), delay);
}

TASKKIT_DECL auto runtime::create_token(const token_options& options) -> waitpoint_token {
    if (core_->stopping()) throw runtime_stopped_error("the runtime is shutting down: no new tokens are accepted");
    return detail::create_token(core_->runs(), core_->now(), options);
}

TASKKIT_DECL auto runtime::complete_token(std::string_view token_id, const nlohmann::json& data) -> token_completion {
    return core_->runs().complete_token(token_id, data);
}

TASKKIT_DECL auto runtime::token(std::string_view token_id) const -> std::optional<token_record> {
    return core_->runs().find_token(token_id);
}

TASKKIT_DECL auto runtime::tokens(const token_filter& filter) const -> std::vector<token_record> {
    return core_->runs().list_tokens(filter);
}

TASKKIT_DECL auto runtime::run_until_idle() -> void {
    core_->drive_until([] { return false; }, std::nullopt, true);
}

TASKKIT_DECL auto runtime::find_or_throw(std::string_view run_id) const -> std::shared_ptr<detail::run_state> {
    auto run = core_->local(run_id);
    if (!run) throw state_error("no run with id '" + std::string(run_id) + "' is held by this runtime's backend");
    return run;
}

}  // namespace taskkit
