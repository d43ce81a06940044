/// @file detail/decode_failure.hpp
/// Naming the JSON Pointer path where a payload fails to decode into its type. Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include <taskkit/detail/payload_type.hpp>

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
using decode_trial = std::function<std::optional<std::string>(const nlohmann::json&)>;

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
                                                   const decode_trial& decode,
                                                   const std::optional<nlohmann::json>& reference,
                                                   std::size_t max_probes = 256);

/// Locates why `payload` does not decode into the type (see the overload above); the reference is
/// the type's (payload_type_ops::reference) and each trial decodes with payload_type_ops::decode.
std::vector<decode_problem> locate_decode_problems(const nlohmann::json& payload, const std::string& error,
                                                   const payload_type_ops& type, std::size_t max_probes = 256);

/// A payload does not decode into its type: what() says where and why (every problem, each with
/// its JSON Pointer, as describe_decode_failure does).
class decode_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Whether `payload` holds a floating-point number that converting to some integer type would be
/// undefined behaviour for (outside (-1, 128), the range every integer type holds after truncation).
bool has_risky_floats(const nlohmann::json& payload);

/// A copy of `payload` with every risky float (see has_risky_floats) replaced by a stand-in that
/// any arithmetic member takes: 127.0 for one of 128 or more, -0.5 for one of -1 or less.
nlohmann::json stand_in_risky_floats(const nlohmann::json& payload);

/// Whether one of `problems` (found in the payload with stand-ins) is at the root, or at or above a
/// risky float of `payload`: then the stand-ins may be what failed, and the payload itself may
/// decode.
bool problems_touch_risky_floats(const nlohmann::json& payload, const std::vector<decode_problem>& problems);

/// In `payload`, the risky floats whose member `probe_back` (the zeroed payload, decoded and
/// written back as JSON) shows to be an integer: an integral one in the range of a 64-bit integer
/// becomes that integer; any other throws decode_error naming its pointer.
void risky_floats_to_integers(nlohmann::json& payload, const nlohmann::json& probe_back);

/// The numbers of `input` that came back different in `decoded_back` (the decoded value written
/// back as JSON), read at the same JSON Pointers: an integer member that did not hold the value
/// (out of range, or a fraction dropped), a floating-point member that overflowed to infinity.
/// Rounding a float (0.1 into a `float`) is not a problem. Numbers the type does not write back at
/// the same place are not checked.
std::vector<decode_problem> number_problems(const nlohmann::json& input, const nlohmann::json& decoded_back);

/// `problems` as one line: "/a: ...; /b/0: ..." ("(root)" for the payload itself).
std::string describe_problems(const std::vector<decode_problem>& problems);

/// Decodes `payload` as `payload.get<P>()` does, but refuses a number its member cannot hold
/// instead of letting the conversion wrap or truncate it: 1e30 or 4294967296 into an `int`, -1 into
/// an `unsigned`, 1.5 into an `int` (a fraction would be lost), 1e300 into a `float`. Returns what
/// `type.decode` made; throws decode_error naming each offending member's JSON Pointer (for numbers
/// and for any other decode failure, located by describe_decode_failure).
///
/// Cost: one decode, one conversion of the result back to JSON and one walk over both. A payload
/// with floats outside (-1, 128) is first decoded once with stand-ins for those floats, to learn
/// which land in integer members, so that an out-of-range float is not converted to an integer
/// (undefined behaviour, not just a wrong value). When that decode fails at a stand-in (a custom
/// from_json that checks the value), the payload is decoded as it is.
std::shared_ptr<void> decode_exact(const nlohmann::json& payload, const payload_type_ops& type);

/// decode_exact for a P.
template <class P>
P decode_exact(const nlohmann::json& payload) {
    return std::move(*std::static_pointer_cast<P>(decode_exact(payload, payload_ops_of<P>())));
}

/// Why `payload` does not decode into the type, naming the JSON Pointer of each offending member,
/// e.g. `/age: type must be number, but is string; /email: the member is missing`. `error` is what
/// the failed decode threw. See locate_decode_problems for how the paths are found and their limits.
std::string describe_decode_failure(const nlohmann::json& payload, const std::string& error,
                                    const payload_type_ops& type);

/// describe_decode_failure for a P; `e` is what the failed decode threw.
template <class P>
std::string describe_decode_failure(const nlohmann::json& payload, const std::exception& e) {
    return describe_decode_failure(payload, e.what(), payload_ops_of<P>());
}

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/decode_failure.ipp>
#endif
