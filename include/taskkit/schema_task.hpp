/// @file schema_task.hpp
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

#include <taskkit/detail/task_definition.hpp>
#include <taskkit/error.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/queue_options.hpp>
#include <taskkit/registry.hpp>
#include <taskkit/retry.hpp>
#include <taskkit/run_context.hpp>
#include <taskkit/schema.hpp>
#include <taskkit/task.hpp>
#include <taskkit/task_options.hpp>

namespace taskkit {

namespace detail {

// ---------------------------------------------------------------------------------------------
// Payload decode diagnostics. This part needs only nlohmann/json and the standard library, so the
// core's decode_payload can use it too.
// ---------------------------------------------------------------------------------------------

/// One reason a JSON payload does not decode into a payload type.
struct decode_problem {
    std::string path;     ///< JSON Pointer of the offending member ("" is the payload itself)
    std::string message;  ///< what is wrong, without the path ("type must be number, but is string")
};

/// A JSON Pointer token with '~' and '/' escaped (RFC 6901).
inline std::string escape_pointer_token(std::string_view token) {
    std::string out;
    out.reserve(token.size());
    for (const char c : token) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

/// nlohmann's exception text without its "[json.exception.type_error.302] " id and without the
/// "(/path) " that JSON_DIAGNOSTICS adds; `path` receives that path when present.
inline std::string plain_decode_message(std::string_view what, std::string* path = nullptr) {
    if (what.starts_with("[json.exception.")) {
        if (const auto end = what.find("] "); end != std::string_view::npos) what.remove_prefix(end + 2);
    }
    if (what.starts_with("(/") || what.starts_with("() ")) {
        if (const auto end = what.find(") "); end != std::string_view::npos) {
            if (path != nullptr) *path = std::string(what.substr(1, end - 1));
            what.remove_prefix(end + 2);
        }
    }
    constexpr std::size_t longest = 200;  // a custom from_json may put the whole value in its message
    std::string out(what.substr(0, longest));
    if (what.size() > longest) out += "...";
    return out;
}

/// The key named by nlohmann's "key 'x' not found" (out_of_range.403), if that is the message.
inline std::optional<std::string> missing_key_in(std::string_view message) {
    constexpr std::string_view head = "key '";
    constexpr std::string_view tail = "' not found";
    if (message.starts_with(head) && message.ends_with(tail) && message.size() >= head.size() + tail.size())
        return std::string(message.substr(head.size(), message.size() - head.size() - tail.size()));
    return std::nullopt;
}

/// Locates why `payload` does not decode into P, member by member.
///
/// The reference is `nlohmann::json(P{})` (P must be default-constructible, its to_json must not
/// throw, and the reference must decode back). Each member of the payload is tried on its own
/// inside the reference: put into it (or, when the payload lacks the member, removed from it),
/// then decoded. A member that makes the reference fail is a cause, reported with the error it
/// gives alone. Objects present in both are searched member by member, so the path is as deep as
/// the reference goes; within a dynamic array (whose reference is empty) the first element that
/// fails is found by bisection on the length of a prefix. The search is bounded (at most
/// `max_probes` trial decodes). Without a usable reference, the path comes from JSON_DIAGNOSTICS
/// (when enabled) or from a "key 'x' not found" message; otherwise the problem is at the root.
template <class P>
std::vector<decode_problem> locate_decode_problems(const nlohmann::json& payload, const std::string& error,
                                                   std::size_t max_probes = 256) {
    using json = nlohmann::json;
    auto decode_error = [](const json& j) -> std::optional<std::string> {
        try {
            (void)j.template get<P>();
            return std::nullopt;
        } catch (const std::exception& e) {
            return std::string(e.what());
        } catch (...) {
            return std::string("an exception that is not a std::exception");
        }
    };

    std::vector<decode_problem> problems;
    std::optional<json> reference;
    if constexpr (std::is_default_constructible_v<P>) {
        try {
            reference = json(P{});
        } catch (...) {
            reference.reset();
        }
    }
    if (reference && reference->is_object() && !payload.is_object()) {
        return {{"", std::string("type must be object, but is ") + payload.type_name()}};
    }
    if (reference && reference->is_object() && !decode_error(*reference)) {
        json background = *reference;  // decodes; members are swapped in and out one at a time
        std::size_t probes = 0;
        std::vector<std::string> tokens;
        auto pointer_of = [&] {
            std::string out;
            for (const auto& part : tokens) out += "/" + escape_pointer_token(part);
            return out;
        };
        // `ref` is the reference object at `tokens` inside `background`; `node` the payload's.
        std::function<void(json&, const json&)> search = [&](json& ref, const json& node) {
            for (auto& [key, value] : ref.items()) {
                if (probes >= max_probes) return;
                tokens.push_back(key);
                const auto it = node.find(key);
                if (it != node.end() && value.is_object() && !value.empty() && it->is_object()) {
                    search(value, *it);
                    tokens.pop_back();
                    continue;
                }
                json saved = std::move(value);
                std::optional<std::string> failure;
                ++probes;
                if (it == node.end()) {
                    // Erasing would invalidate the iteration: decode a copy without the member.
                    json copy = background;
                    json* parent = &copy;
                    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) parent = &(*parent)[tokens[i]];
                    parent->erase(key);
                    failure = decode_error(copy);
                    if (failure) problems.push_back({pointer_of(), "the member is missing"});
                } else {
                    value = *it;
                    failure = decode_error(background);
                    if (failure) {
                        decode_problem problem{pointer_of(), plain_decode_message(*failure)};
                        if (it->is_array() && saved.is_array() && saved.empty() && !it->empty()) {
                            // The first element that fails: a prefix without it decodes.
                            std::size_t good = 0;
                            std::size_t bad = it->size();
                            while (bad - good > 1 && probes < max_probes) {
                                ++probes;
                                const std::size_t mid = good + (bad - good) / 2;
                                value = json(it->begin(), it->begin() + static_cast<std::ptrdiff_t>(mid));
                                if (auto e = decode_error(background)) {
                                    bad = mid;
                                    failure = std::move(e);
                                } else {
                                    good = mid;
                                }
                            }
                            problem.path += "/" + std::to_string(bad - 1);
                            problem.message = plain_decode_message(*failure);
                            const json& element = (*it)[bad - 1];
                            if (auto missing = missing_key_in(problem.message);
                                missing && element.is_object() && !element.contains(*missing)) {
                                problem.path += "/" + escape_pointer_token(*missing);
                                problem.message = "the member is missing";
                            }
                        } else if (auto missing = missing_key_in(problem.message);
                                   missing && it->is_object() && !it->contains(*missing)) {
                            problem.path += "/" + escape_pointer_token(*missing);
                            problem.message = "the member is missing";
                        }
                        problems.push_back(std::move(problem));
                    }
                }
                value = std::move(saved);
                tokens.pop_back();
            }
        };
        search(background, payload);
        if (!problems.empty()) return problems;
        // Each member decodes on its own: the payload fails as a whole (a check across members
        // in a custom from_json, say). Fall through and report it at the root.
    }
    decode_problem problem;
    problem.message = plain_decode_message(error, &problem.path);
    if (auto missing = missing_key_in(problem.message);
        missing && problem.path.empty() && payload.is_object() && !payload.contains(*missing)) {
        problem.path = "/" + escape_pointer_token(*missing);
        problem.message = "the member is missing";
    }
    problems.push_back(std::move(problem));
    return problems;
}

/// Why `payload` does not decode into P, naming the JSON Pointer of each offending member, e.g.
/// `/age: type must be number, but is string; /email: the member is missing`. `e` is what the
/// failed decode threw. See locate_decode_problems for how the paths are found and their limits.
template <class P>
std::string describe_decode_failure(const nlohmann::json& payload, const std::exception& e) {
    std::string text;
    for (const auto& problem : locate_decode_problems<P>(payload, e.what())) {
        if (!text.empty()) text += "; ";
        text += (problem.path.empty() ? std::string("(root)") : problem.path) + ": " + problem.message;
    }
    return text;
}

}  // namespace detail

/// The options of a schema_task: those of task_options, plus `.schema` right after
/// `.description`.
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
    retry_options retry;                                    ///< retry policy
    queue_options queue;                                    ///< queue and concurrency limit
    taskkit::machine machine = machines::small_1x;          ///< budget held while executing
    std::optional<std::chrono::milliseconds> max_duration;  ///< wall-clock limit per attempt
    run_function<P, R> run;                                 ///< the work
    std::function<void(const P&, run_context&)> init;       ///< before every attempt
    std::function<void(const P&, run_context&)> cleanup;    ///< after every attempt
    /// Wraps each attempt; must call `next()` exactly once to run init, on_start and run.
    std::function<void(const P&, run_context&, const std::function<void()>& next)> middleware;
    std::function<void(const P&, run_context&)> on_start;  ///< before the first attempt's run
    typename detail::success_hook<P, R>::type on_success;  ///< (payload, [output,] ctx)
    std::function<void(const P&, const error_info&, run_context&)> on_failure;  ///< failed, canceled, timed out
    std::function<void(const P&, const result<R>&, run_context&)> on_complete;  ///< any terminal outcome
    std::function<error_decision(const P&, const error_info&, run_context&)> handle_error;  ///< after a failed attempt
};

/// A task whose payload must match a JSON Schema. Every trigger — typed (`task.trigger(p)`,
/// `rt.trigger(task, p)`, the payload converted to JSON first) or by id with JSON
/// (`rt.trigger("id", json)`) — checks the payload before any run is created:
/// - a payload that fails the schema throws validation_error listing every violation (JSON
///   Pointer, keyword, sentence);
/// - a payload that matches the schema but does not decode into P (the schema is looser than
///   the type) throws payload_error naming the offending members' paths.
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
        auto definition = std::make_shared<detail::task_definition<P, R>>(task_options<P, R>{
            .id = std::move(o.id),
            .description = std::move(o.description),
            .retry = std::move(o.retry),
            .queue = std::move(o.queue),
            .machine = o.machine,
            .max_duration = o.max_duration,
            .run = std::move(o.run),
            .init = std::move(o.init),
            .cleanup = std::move(o.cleanup),
            .middleware = std::move(o.middleware),
            .on_start = std::move(o.on_start),
            .on_success = std::move(o.on_success),
            .on_failure = std::move(o.on_failure),
            .on_complete = std::move(o.on_complete),
            .handle_error = std::move(o.handle_error),
        });
        const std::string& id = definition->id;
        json_schema checker = compile(id, document);
        definition->set_payload_validation(
            std::move(document), [compiled = std::move(checker), id](const nlohmann::json& payload) {
                auto violations = compiled.validate(payload);
                if (!violations.empty()) throw validation_error(std::move(violations), "payload of task '" + id + "'");
                if constexpr (!std::is_same_v<P, nlohmann::json>) {
                    // The schema may be looser than P: decode now, so that a payload that would fail
                    // at decoding is refused here with its paths (and so a typed payload is accepted
                    // exactly when its JSON would be accepted by id).
                    try {
                        (void)payload.get<P>();
                    } catch (const std::exception& e) {
                        throw payload_error("payload for task '" + id +
                                            "' matches its schema but does not decode: " +
                                            detail::describe_decode_failure<P>(payload, e));
                    }
                }
            });
        return definition;
    }

    static json_schema compile(const std::string& id, const nlohmann::json& document) {
        const std::string where = " (in the .schema of task '" + id + "')";
        if (document.is_null())
            throw schema_error("", "a schema_task needs a .schema: a JSON Schema object, or true to accept anything" +
                                       where);
        try {
            return json_schema(document);
        } catch (const schema_error& e) {
            // Re-throw with the task id; the problem is what follows schema_error's own prefix.
            const std::string prefix = "invalid JSON schema at " +
                                       (e.pointer().empty() ? std::string("the root") : "\"" + e.pointer() + "\"") +
                                       ": ";
            const std::string_view what = e.what();
            if (!what.starts_with(prefix)) throw;
            throw schema_error(e.pointer(), std::string(what.substr(prefix.size())) + where);
        }
    }
};

}  // namespace taskkit
