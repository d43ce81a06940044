/// @file detail/decode_failure.hpp
/// Naming the JSON Pointer path where a payload fails to decode into its type. Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <cstddef>
#include <exception>
#include <functional>
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

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/decode_failure.ipp>
#endif
