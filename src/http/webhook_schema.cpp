// A webhook task's `.schema`: compiled with taskkit::json_schema when taskkit::http is built with
// taskkit::schema (TASKKIT_HTTP_SCHEMA), refused otherwise.
#include <taskkit/http/webhook_task.hpp>

#include <memory>
#include <string>
#include <utility>

#include <taskkit/error.hpp>

#if defined(TASKKIT_HTTP_SCHEMA)
#include <taskkit/schema/json_schema.hpp>
#include <taskkit/schema/schema_error.hpp>
#include <taskkit/schema/schema_task.hpp>  // detail::compile_task_schema
#endif

namespace taskkit::http::detail {

std::function<void(const nlohmann::json&)> compile_webhook_schema(const std::string& task_id,
                                                                  const nlohmann::json& document) {
#if defined(TASKKIT_HTTP_SCHEMA)
    auto compiled = std::make_shared<const json_schema>(taskkit::detail::compile_task_schema(task_id, document));
    return [compiled, task_id](const nlohmann::json& payload) {
        auto violations = compiled->validate(payload);
        if (!violations.empty()) throw validation_error(std::move(violations), "payload of task '" + task_id + "'");
    };
#else
    (void)document;
    throw options_error("webhook task '" + task_id +
                        "' has a .schema, but taskkit::http was built without taskkit::schema (RE2, Debian's "
                        "libre2-dev): JSON Schema validation is not available");
#endif
}

}  // namespace taskkit::http::detail
