/// @file schema/schema_task.hpp
/// taskkit::schema_task — a task whose payload is checked against a JSON Schema before any run
/// is created (Trigger.dev's "schemaTask").
///
/// An optional integration: it needs taskkit::json_schema (and so RE2) and is not included by
/// taskkit.hpp. Link the CMake target `taskkit::schema`.
/// @code
/// struct create_user { std::string name; std::optional<int> age; std::string email; };
///
/// inline const taskkit::schema_task<create_user> create_user_task({
///     .id = "create-user",
///     .schema = R"({"type": "object",
///                   "properties": {"name": {"type": "string", "minLength": 1},
///                                  "age": {"type": "integer", "minimum": 0, "maximum": 150},
///                                  "email": {"type": "string", "pattern": "^[^@]+@[^@]+$"}},
///                   "required": ["name", "email"], "additionalProperties": false})"_json,
///     .run = [](const create_user& user, taskkit::run_context& ctx) { ctx.logger().info("{}", user.name); },
/// });
///
/// create_user_task.trigger({.name = "Ada", .age = 200, .email = "ada"});
/// // throws taskkit::validation_error:
/// //   /age: 200 is greater than the maximum 150
/// //   /email: "ada" does not match the pattern "^[^@]+@[^@]+$"
/// @endcode
#pragma once

#include <taskkit/schema/detail/config.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/detail/decode_failure.hpp>
#include <taskkit/detail/task_definition.hpp>
#include <taskkit/detail/to_task_options.hpp>
#include <taskkit/error.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/queue_options.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/run_context.hpp>
#include <taskkit/schema/json_schema.hpp>
#include <taskkit/schema/schema_error.hpp>
#include <taskkit/task.hpp>
#include <taskkit/task_options.hpp>

namespace taskkit {

namespace detail {
/// A schema_task's schema, compiled; a schema_error names the task (`id`).
TASKKIT_DECL json_schema compile_task_schema(const std::string& id, const nlohmann::json& document);
}  // namespace detail

/// The options of a schema_task: those of task_options, plus `.schema` right after
/// `.description` (the others are copied into the task by detail::to_task_options, which says
/// how a new one is added).
/// @code
/// taskkit::schema_task<order> place({
///     .id = "place-order",
///     .schema = R"({"type": "object", "required": ["item"]})"_json,
///     .retry = {.max_attempts = 3},
///     .run = [](const order& o) { ... },
/// });
/// @endcode
template <class P, class R = void>
struct schema_task_options {
    std::string id;           ///< unique in the registry
    std::string description;  ///< shown by tools
    /// The JSON Schema (draft-07) every payload must match, as JSON; compiled once, when the task
    /// is defined. Required (write `true` to accept everything).
    nlohmann::json schema;
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

/// A task whose payload must match a JSON Schema. Every trigger — typed (`task.trigger(p)`,
/// `rt.trigger(task, p)`, the payload converted to JSON first) or by id with JSON
/// (`rt.trigger("id", json)`) — checks the payload before any run is created:
/// - a payload that fails the schema throws validation_error listing every violation (JSON
///   Pointer, keyword, sentence);
/// - a payload that matches the schema but does not decode into P (the schema is looser than
///   the type, or allows a number the member cannot hold) throws payload_error naming the
///   offending members' paths;
/// - a payload nested deeper than the schema's max_depth (256, which is also max_payload_depth)
///   throws validation_error with one maxDepth violation, before anything copies it.
/// Either way no run exists, nothing is retried, and every attempt sees a payload that passed.
///
/// The schema is compiled once, here; a schema that is not valid draft-07 throws schema_error
/// and registers nothing. `registry.schema(id)` returns the schema document.
/// @code
/// inline const taskkit::schema_task<create_user> create_user_task({
///     .id = "create-user",
///     .schema = R"({"type": "object", "required": ["name", "email"]})"_json,
///     .run = [](const create_user& user) { ... },
/// });
/// @endcode
/// It is a task<P, R>: trigger, trigger_and_wait, id() and definition() are task's, and a
/// runtime's `trigger(task, payload)` accepts it.
template <class P, class R = void>
class schema_task : public task<P, R> {
public:
    /// Defines the task, compiles its schema and registers it in `reg` (by default
    /// registry::global()). Throws options_error for bad task options, schema_error for a bad
    /// schema (mentioning the task id), duplicate_task_error for a taken id.
    schema_task(schema_task_options<P, R> options, taskkit::registry& reg = taskkit::registry::global())
        : task<P, R>(prepare(std::move(options)), reg) {}

    /// The schema document payloads are checked against.
    [[nodiscard]] const nlohmann::json& schema() const noexcept { return this->definition()->payload_schema; }

private:
    static std::shared_ptr<detail::task_definition<P, R>> prepare(schema_task_options<P, R>&& o) {
        nlohmann::json document = std::move(o.schema);
        // Task options are checked first, so a missing .id or .run is reported as such.
        auto definition = std::make_shared<detail::task_definition<P, R>>(detail::to_task_options<P, R>(std::move(o)));
        definition->kind = "schema";
        const std::string& id = definition->id;
        json_schema checker = detail::compile_task_schema(id, document);
        // The payload is validated by reference (never copied). The schema may be looser than P:
        // the definition then decodes what passed, typed payloads included, and refuses what does
        // not decode with its paths, so a typed payload is accepted exactly when its JSON would be
        // accepted by id (and a trigger by id decodes once).
        auto validate = [compiled = std::make_shared<const json_schema>(std::move(checker)),
                         id](const nlohmann::json& payload) {
            auto violations = compiled->validate(payload);
            if (!violations.empty()) throw validation_error(std::move(violations), "payload of task '" + id + "'");
        };
        // A typed payload is validated as JSON, then decoded back (its numbers came from P: no
        // range check is needed), naming the paths that do not decode.
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
        definition->set_payload_validation(std::move(document), std::move(validate), std::move(check_typed));
        return definition;
    }
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/schema/impl/schema_task.ipp>
#endif
