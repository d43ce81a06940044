/// @file schema_task.hpp
/// taskkit::schema_task, a task whose payloads are checked against a JSON Schema: an entry header
/// of the schema integration (taskkit/schema/).
///
/// An optional integration: it needs RE2 (link `taskkit::schema`, or `taskkit::schema_compiled`
/// with `taskkit::compiled`), and the umbrella header `taskkit.hpp` does not include it. See
/// docs/schema-tasks.md.
#pragma once

#include <taskkit/runtime.hpp>  // an entry header: a one-file program needs nothing else
#include <taskkit/schema/schema_task.hpp>
