/// @file detail/json_depth.hpp
/// How deep a JSON value nests, found without recursion, and the deepest payload taskkit accepts.
#pragma once

#include <cstddef>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace taskkit {

/// The deepest nesting of arrays and objects taskkit accepts in a payload (`[]` and `{}` are 1
/// deep, `[[1]]` is 2, a scalar 0). A deeper payload is refused at the trigger with payload_error
/// (code invalid_payload), before anything copies it.
///
/// Why a limit: nlohmann/json parses and destroys a value without recursion, but copies, dumps and
/// compares it recursively, about 1.7 KB of stack per level for a copy in an unoptimized
/// AddressSanitizer build. A run's payload is copied (into its record, for a replay) and dumped
/// (by stores and tools) on whatever thread asks, so a 100,000-deep array would overflow any
/// stack. At 256 levels a copy needs under 450 KB even in that build (far less optimized), which
/// leaves most of a default 8 MB thread stack to the code around it, and the run's own code room to
/// recurse over the payload. 256 is also json_schema's default max_depth, so a schema task refuses
/// the same payloads for both reasons. Real payloads rarely nest past a few dozen levels.
inline constexpr std::size_t max_payload_depth = 256;

}  // namespace taskkit

namespace taskkit::detail {

/// Whether `value` nests more than `limit` arrays/objects (a container at the top is 1 deep). It
/// walks the value with a stack of its own, so any depth is safe, and stops at the first container
/// beyond `limit`; when `where` is not null it then receives that container's JSON Pointer (RFC
/// 6901, `~` and `/` escaped), e.g. "/a/0/b".
/// @code
/// if (taskkit::detail::json_depth_exceeds(metadata, taskkit::max_payload_depth)) throw ...;
/// @endcode
[[nodiscard]] inline bool json_depth_exceeds(const nlohmann::json& value, std::size_t limit,
                                             std::string* where = nullptr) {
    if (!value.is_structured()) return false;
    if (limit == 0) {
        if (where != nullptr) where->clear();
        return true;
    }
    struct frame {
        const nlohmann::json* container;
        nlohmann::json::const_iterator next;
    };
    std::vector<frame> stack;
    stack.push_back({&value, value.cbegin()});
    while (!stack.empty()) {
        auto& top = stack.back();
        if (top.next == top.container->cend()) {
            stack.pop_back();
            continue;
        }
        const auto child = top.next++;
        if (!child->is_structured()) continue;
        if (stack.size() + 1 > limit) {
            if (where != nullptr) {
                where->clear();
                for (const auto& f : stack) {
                    const auto current = std::prev(f.next);
                    *where += '/';
                    if (f.container->is_array()) {
                        *where += std::to_string(static_cast<std::size_t>(current - f.container->cbegin()));
                    } else {
                        for (const char c : current.key()) {
                            if (c == '~') {
                                *where += "~0";
                            } else if (c == '/') {
                                *where += "~1";
                            } else {
                                *where += c;
                            }
                        }
                    }
                }
            }
            return true;
        }
        stack.push_back({&*child, child->cbegin()});
    }
    return false;
}

}  // namespace taskkit::detail
