/// @file http/webhook_task.hpp
/// taskkit::webhook_task: a task run by an HTTP request that a sender signs (GitHub, Stripe, or
/// any HMAC scheme). The request is verified, its JSON body decoded into the payload type, and a
/// run created and answered 202 with its id before it executes.
/// @code
/// struct github_push { std::string ref; std::vector<commit> commits; };
///
/// inline const taskkit::webhook_task<github_push> on_push({
///     .id = "on-github-push",
///     .path = "/webhooks/github",
///     .verify = taskkit::http::github_signature({.secret = secret_from_env()}),
///     .delivery_id_header = "X-GitHub-Delivery",
///     .run = [](const github_push& event, taskkit::run_context& ctx) { ctx.logger().info("{}", event.ref); },
/// });
/// @endcode
/// Part of the optional HTTP integration: link the CMake target `taskkit::http`. See
/// docs/webhooks.md.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include <taskkit/detail/decode_failure.hpp>
#include <taskkit/detail/task_definition.hpp>
#include <taskkit/detail/to_task_options.hpp>
#include <taskkit/error.hpp>
#include <taskkit/http/signature.hpp>
#include <taskkit/http/webhook_delivery.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/queue_options.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/run_context.hpp>
#include <taskkit/task.hpp>
#include <taskkit/task_options.hpp>
#include <taskkit/trigger_options.hpp>

namespace taskkit {

namespace http::detail {

/// What deliver_webhook needs of a webhook task, kept by path in its registry.
struct webhook_route {
    std::string path;
    std::string task_id;
    verifier verify;
    std::string delivery_id_header;
    std::function<trigger_options(const webhook_request&)> to_trigger_options;
};

/// Checks a webhook task's own options (the path, the verifier); throws options_error naming it.
void check_webhook_route(const webhook_route& route);

/// A webhook task's `.schema`, compiled (with taskkit::json_schema, when taskkit::http is built
/// with taskkit::schema): the check throws validation_error listing every violation. Throws
/// schema_error for a bad schema, options_error when taskkit::http was built without RE2.
std::function<void(const nlohmann::json&)> compile_webhook_schema(const std::string& task_id,
                                                                  const nlohmann::json& document);

/// Keeps a route in a registry while it lives: adding it throws options_error when another webhook
/// task has the path; destroying it frees the path.
class webhook_route_registration {
public:
    webhook_route_registration(taskkit::registry& reg, std::shared_ptr<const webhook_route> route);
    webhook_route_registration(const webhook_route_registration&) = delete;
    webhook_route_registration& operator=(const webhook_route_registration&) = delete;
    ~webhook_route_registration();

    [[nodiscard]] const webhook_route& route() const noexcept { return *route_; }

private:
    taskkit::registry* registry_;
    std::shared_ptr<const webhook_route> route_;
};

}  // namespace http::detail

/// The options of a webhook task: task_options' fields (the same retry, queue, machine,
/// max_duration, run and hooks, copied into the task by detail::to_task_options), with the
/// webhook's own after `.description`: `.schema`, `.path`, `.verify`, `.delivery_id_header`,
/// `.to_trigger_options`.
template <class P, class R = void>
struct webhook_task_options {
    std::string id;           ///< unique in the registry
    std::string description;  ///< shown by tools
    /// A JSON Schema (draft-07) every payload must match, as a schema_task's (null: none, the
    /// payload type alone decides). A body that fails it is answered 400 with every violation's
    /// JSON Pointer path. Needs taskkit::http built with taskkit::schema (RE2).
    nlohmann::json schema;
    /// Where the webhook is posted, e.g. "/webhooks/github": starts with '/', unique among the
    /// registry's webhook tasks (a second task on it throws options_error).
    std::string path;
    /// Checks every request before anything else happens. Required: a ready-made verifier
    /// (http::github_signature, http::stripe_signature, http::hmac_signature), your own callable,
    /// or http::unverified() to take requests unchecked.
    http::verifier verify;
    /// A header naming the delivery (GitHub's "X-GitHub-Delivery"): when set and present in a
    /// request, its value is the run's idempotency key, so a redelivery answers with the first
    /// run and starts nothing. A request without it is still taken, without idempotency.
    std::string delivery_id_header;
    /// Trigger options made from the request (tags, concurrency key, metadata from its headers);
    /// empty: the defaults. An idempotency key it sets wins over the delivery id.
    std::function<trigger_options(const http::webhook_request&)> to_trigger_options;
    retry_options retry;  ///< retry policy
    queue_options queue;  ///< queue and concurrency limit
    /// What each run holds from the runtime's cpu/memory budget while it executes. The default,
    /// machines::none, holds nothing: such runs are bounded by workers and queues, not the budget.
    taskkit::machine machine = machines::none;
    std::optional<std::chrono::milliseconds> max_duration;  ///< wall-clock limit per attempt
    run_function<P, R> run;                                 ///< the work
    typename hook_types<P, R>::init init;                   ///< (payload, ctx) before every attempt
    typename hook_types<P, R>::cleanup cleanup;             ///< (payload, ctx) after every attempt
    /// (payload, ctx, next): wraps each attempt; must call `next()` exactly once to run init,
    /// on_start and run.
    typename hook_types<P, R>::middleware middleware;
    typename hook_types<P, R>::on_start on_start;                  ///< (payload, ctx) before the first attempt's run
    typename hook_types<P, R>::on_start_attempt on_start_attempt;  ///< (payload, ctx) before every attempt's run
    typename hook_types<P, R>::on_success on_success;              ///< (payload, [output,] ctx)
    typename hook_types<P, R>::on_failure on_failure;      ///< (payload, error, ctx): failed, canceled, timed out
    typename hook_types<P, R>::on_complete on_complete;    ///< (payload, result, ctx): any terminal outcome
    typename hook_types<P, R>::on_wait on_wait;            ///< (payload, wait, ctx): a wait begins
    typename hook_types<P, R>::on_resume on_resume;        ///< (payload, wait, ctx): the wait has ended
    typename hook_types<P, R>::on_cancel on_cancel;        ///< (payload, ctx): canceled while executing
    typename hook_types<P, R>::handle_error handle_error;  ///< (payload, error, ctx) -> error_decision
};

/// A task triggered by a webhook: http::deliver_webhook (which the HTTP server calls for every
/// request) finds it by the request's path, verifies the request, decodes its JSON body into P
/// exactly as `rt.trigger(id, json)` does, and creates a run, answering 202 with the run's id.
/// A request that does not verify is answered 401 and creates nothing; a body that is not JSON
/// or does not decode, 400 with the details. See http::deliver_webhook for every answer.
///
/// It is a task<P, R>, registered like any (kind "webhook"): trigger, trigger_and_wait, id()
/// and definition() are task's, so a test can trigger it with a payload directly.
template <class P, class R = void>
class webhook_task : public task<P, R> {
public:
    /// Defines the task and registers it, and its path, in `reg` (by default
    /// registry::global()). Throws options_error for bad options (a path that does not start with
    /// '/', no verifier, a path another webhook task has), duplicate_task_error for a taken id;
    /// either way nothing stays registered.
    webhook_task(webhook_task_options<P, R> options, taskkit::registry& reg = taskkit::registry::global())
        : webhook_task(prepare(std::move(options)), reg) {}

    /// The path the webhook is posted to.
    [[nodiscard]] const std::string& path() const noexcept { return route_.route().path; }

    /// The name of the verifier's scheme ("github", "stripe", "hmac", "unverified", "custom").
    [[nodiscard]] const std::string& scheme() const noexcept { return route_.route().verify.scheme(); }

private:
    struct prepared {
        std::shared_ptr<detail::task_definition<P, R>> definition;
        std::shared_ptr<const http::detail::webhook_route> route;
    };

    // The task registers first (its base), then the path: when the path is taken, the base's
    // destructor unregisters the task again.
    webhook_task(prepared p, taskkit::registry& reg)
        : task<P, R>(std::move(p.definition), reg), route_(reg, std::move(p.route)) {}

    static prepared prepare(webhook_task_options<P, R>&& o) {
        nlohmann::json schema = std::move(o.schema);
        auto route = std::make_shared<http::detail::webhook_route>();
        route->path = std::move(o.path);
        route->verify = std::move(o.verify);
        route->delivery_id_header = std::move(o.delivery_id_header);
        route->to_trigger_options = std::move(o.to_trigger_options);
        // Task options are checked first, so a missing .id or .run is reported as such.
        auto definition = std::make_shared<detail::task_definition<P, R>>(detail::to_task_options<P, R>(std::move(o)));
        definition->kind = "webhook";
        route->task_id = definition->id;
        http::detail::check_webhook_route(*route);
        if (!schema.is_null()) {
            const std::string& id = definition->id;
            auto validate = http::detail::compile_webhook_schema(id, schema);
            // A typed payload (task.trigger(p)) is validated as JSON, then decoded back, as a
            // schema_task's is.
            auto check_typed = [validate, id](const nlohmann::json& as_json) {
                validate(as_json);
                detail::check_payload_depth(id, as_json);
                try {
                    (void)as_json.get<P>();
                } catch (const std::exception& e) {
                    throw payload_error("payload for task '" + id + "' matches its schema but does not decode: " +
                                        detail::describe_decode_failure<P>(as_json, e));
                }
            };
            definition->set_payload_validation(std::move(schema), std::move(validate), std::move(check_typed));
        }
        return {std::move(definition), std::move(route)};
    }

    http::detail::webhook_route_registration route_;
};

}  // namespace taskkit
