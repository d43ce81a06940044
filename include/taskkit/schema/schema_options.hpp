/// @file schema/schema_options.hpp
/// taskkit::schema_options: the limits json_schema validates within.
#pragma once

#include <cstddef>

namespace taskkit {

/// Limits that keep validation safe on hostile input.
struct schema_options {
    /// Deepest nesting of arrays/objects accepted in an instance (and in the schema document).
    /// A deeper instance gets a single "maxDepth" violation instead of being walked, so the stack
    /// stays bounded whatever the input. Evaluation of nested schemas is bounded to 4x this
    /// plus 64 levels: about 4 MB of stack in a sanitizer build, within a default 8 MB thread stack.
    std::size_t max_depth = 256;
    /// Most units of work one validation may take: each application of a schema to a value, and
    /// each comparison of two items for uniqueItems, is one. Beyond it validation stops with a
    /// single "maxEvaluations" violation, so no schema and value can keep a thread busy for long:
    /// 10 million take one to three seconds in an optimized build on a small machine (75 to 300 ns
    /// a unit, the more where verdicts are memoized). Validation work is linear in
    /// (schemas applied) x (values), since a schema reachable along several paths ($ref, or one
    /// subschema listed twice) is evaluated once per value and its verdict reused; this bound is a
    /// second line of defence.
    std::size_t max_evaluations = 10'000'000;
};

}  // namespace taskkit
