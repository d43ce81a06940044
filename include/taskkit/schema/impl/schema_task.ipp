/// @file schema/impl/schema_task.ipp
/// The definitions of what <taskkit/schema/schema_task.hpp> declares outside its templates:
/// included by that header (header-only, the default), or compiled once through
/// <taskkit/schema/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/schema/schema_task.hpp>

#include <string>
#include <string_view>

namespace taskkit::detail {

TASKKIT_DECL auto compile_task_schema(const std::string& id, const nlohmann::json& document) -> json_schema {
    const std::string where = " (in the .schema of task '" + id + "')";
    if (document.is_null())
        throw schema_error("",
                           "a schema_task needs a .schema: a JSON Schema object, or true to accept anything" + where);
    try {
        return json_schema(document);
    } catch (const schema_error& e) {
        // Re-throw with the task id; the problem is what follows schema_error's own prefix.
        const std::string prefix = "invalid JSON schema at " +
                                   (e.pointer().empty() ? std::string("the root") : "\"" + e.pointer() + "\"") + ": ";
        const std::string_view what = e.what();
        if (!what.starts_with(prefix)) throw;
        throw schema_error(e.pointer(), std::string(what.substr(prefix.size())) + where);
    }
}

}  // namespace taskkit::detail
