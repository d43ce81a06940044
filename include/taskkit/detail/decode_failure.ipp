/// @file detail/decode_failure.ipp
/// The definitions of what <taskkit/detail/decode_failure.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/decode_failure.hpp>

#include <functional>

namespace taskkit::detail {

TASKKIT_DECL std::string escape_pointer_token(std::string_view token) {
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

TASKKIT_DECL std::string plain_decode_message(std::string_view what, std::string* path) {
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

TASKKIT_DECL std::optional<std::string> missing_key_in(std::string_view message) {
    constexpr std::string_view head = "key '";
    constexpr std::string_view tail = "' not found";
    if (message.starts_with(head) && message.ends_with(tail) && message.size() >= head.size() + tail.size())
        return std::string(message.substr(head.size(), message.size() - head.size() - tail.size()));
    return std::nullopt;
}

TASKKIT_DECL std::vector<decode_problem> locate_decode_problems(const nlohmann::json& payload, const std::string& error,
                                                                decode_trial decode,
                                                                const std::optional<nlohmann::json>& reference,
                                                                std::size_t max_probes) {
    using json = nlohmann::json;
    std::vector<decode_problem> problems;
    if (reference && reference->is_object() && !payload.is_object()) {
        return {{"", std::string("type must be object, but is ") + payload.type_name()}};
    }
    if (reference && reference->is_object() && !decode(*reference)) {
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
                    failure = decode(copy);
                    if (failure) problems.push_back({pointer_of(), "the member is missing"});
                } else {
                    value = *it;
                    failure = decode(background);
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
                                if (auto e = decode(background)) {
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

}  // namespace taskkit::detail
