/// @file detail/decode_failure.hpp
/// Naming the JSON Pointer path where a payload fails to decode into its type. Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace taskkit::detail {

/// One reason a JSON payload does not decode into a payload type.
struct decode_problem {
    std::string path;     ///< JSON Pointer of the offending member ("" is the payload itself)
    std::string message;  ///< what is wrong, without the path ("type must be number, but is string")
};

/// A JSON Pointer token with '~' and '/' escaped (RFC 6901).
std::string escape_pointer_token(std::string_view token);

/// nlohmann's exception text without its "[json.exception.type_error.302] " id and without the
/// "(/path) " that JSON_DIAGNOSTICS adds; `path` receives that path when present.
std::string plain_decode_message(std::string_view what, std::string* path = nullptr);

/// The key named by nlohmann's "key 'x' not found" (out_of_range.403), if that is the message.
std::optional<std::string> missing_key_in(std::string_view message);

/// Tries to decode a JSON value into the payload type: nullopt when it decodes, else the error.
using decode_trial = std::optional<std::string> (*)(const nlohmann::json&);

/// decode_trial for P.
template <class P>
std::optional<std::string> try_decode(const nlohmann::json& j) {
    try {
        (void)j.template get<P>();
        return std::nullopt;
    } catch (const std::exception& e) {
        return std::string(e.what());
    } catch (...) {
        return std::string("an exception that is not a std::exception");
    }
}

/// Locates why `payload` does not decode into a payload type P, member by member; `decode` tries
/// P, `reference` is a value of P as JSON (nullopt when none can be made).
///
/// The typed overload below makes the reference as `nlohmann::json(P{})` (P must be default-
/// constructible, its to_json must not throw, and the reference must decode back). Each member of
/// the payload is tried on its own inside the reference: put into it (or, when the payload lacks
/// the member, removed from it), then decoded. A member that makes the reference fail is a cause,
/// reported with the error it gives alone. Objects present in both are searched member by member,
/// so the path is as deep as the reference goes; within a dynamic array (whose reference is empty)
/// the first element that fails is found by bisection on the length of a prefix. The search is
/// bounded (at most `max_probes` trial decodes). Without a usable reference, the path comes from
/// JSON_DIAGNOSTICS (when enabled) or from a "key 'x' not found" message; otherwise the problem is
/// at the root.
std::vector<decode_problem> locate_decode_problems(const nlohmann::json& payload, const std::string& error,
                                                   decode_trial decode, const std::optional<nlohmann::json>& reference,
                                                   std::size_t max_probes = 256);

/// Locates why `payload` does not decode into P (see the overload above). Only the reference and
/// the trial decode depend on P: the search itself is compiled once, not once per payload type.
template <class P>
std::vector<decode_problem> locate_decode_problems(const nlohmann::json& payload, const std::string& error,
                                                   std::size_t max_probes = 256) {
    std::optional<nlohmann::json> reference;
    if constexpr (std::is_default_constructible_v<P>) {
        try {
            reference = nlohmann::json(P{});
        } catch (...) {
            reference.reset();
        }
    }
    return locate_decode_problems(payload, error, &try_decode<P>, reference, max_probes);
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

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/decode_failure.ipp>
#endif
