/// @file schema.hpp
/// taskkit::json_schema, the JSON Schema (draft-07) validator: the entry header of the schema
/// integration (taskkit/schema/).
///
/// An optional integration: it needs RE2 (link `taskkit::schema`, or `taskkit::schema_compiled`
/// with `taskkit::compiled`), and the umbrella header `taskkit.hpp` does not include it. See
/// docs/schema.md.
#pragma once

#include <taskkit/schema/json_schema.hpp>
