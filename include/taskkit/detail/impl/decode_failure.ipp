/// @file detail/impl/decode_failure.ipp
/// The definitions of what <taskkit/detail/decode_failure.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/decode_failure.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <iterator>

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
                                                                const decode_trial& decode,
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

namespace decode_numbers {

// Every number of `input` paired with the value at the same JSON Pointer in `other`, when that is a
// number too; containers are entered where both have the same kind. `visit(number, other_number,
// pointer)` returns false to stop; `pointer()` builds the number's JSON Pointer. No recursion.
template <class Json, class Visit>
void walk(Json& input, const nlohmann::json& other, Visit&& visit) {
    using iterator = decltype(input.begin());
    struct frame {
        Json* container;
        iterator next;
        const nlohmann::json* other;
    };
    std::vector<frame> stack;
    auto pointer = [&stack] {
        std::string out;
        for (const auto& f : stack) {
            const auto current = std::prev(f.next);
            out += '/';
            if (f.container->is_array()) {
                out += std::to_string(static_cast<std::size_t>(current - f.container->begin()));
            } else {
                out += escape_pointer_token(current.key());
            }
        }
        return out;
    };
    if (input.is_number()) {
        if (other.is_number()) (void)visit(input, other, pointer);
        return;
    }
    if (!input.is_structured() || input.type() != other.type()) return;
    stack.push_back({&input, input.begin(), &other});
    while (!stack.empty()) {
        auto& top = stack.back();
        if (top.next == top.container->end()) {
            stack.pop_back();
            continue;
        }
        const auto child = top.next++;
        const nlohmann::json* counterpart = nullptr;
        if (top.container->is_object()) {
            if (const auto it = top.other->find(child.key()); it != top.other->end()) counterpart = &*it;
        } else if (const auto index = static_cast<std::size_t>(child - top.container->begin());
                   index < top.other->size()) {
            counterpart = &(*top.other)[index];
        }
        if (counterpart == nullptr) continue;
        if (child->is_number()) {
            if (counterpart->is_number() && !visit(*child, *counterpart, pointer)) return;
        } else if (child->is_structured() && child->type() == counterpart->type()) {
            Json& container = *child;
            stack.push_back({&container, container.begin(), counterpart});  // `top` is not used after this
        }
    }
}

// Outside (-1, 128) (or NaN), truncating a float to some integer type is undefined behaviour.
inline bool risky(const nlohmann::json& number) {
    if (!number.is_number_float()) return false;
    const double x = number.get<double>();
    return !(x > -1.0 && x < 128.0);
}

inline std::string fraction_lost(const nlohmann::json& number) {
    return number.dump() + " is not an integer, but its member is one (the fraction would be lost)";
}

inline std::string out_of_range(const nlohmann::json& number, const std::string& decoded_as = {}) {
    return number.dump() + " is out of the range of its member's type" +
           (decoded_as.empty() ? std::string() : " (it would decode as " + decoded_as + ")");
}

// An integral finite double as a JSON integer, when a 64-bit integer holds it.
inline std::optional<nlohmann::json> as_integer(double x) {
    if (!std::isfinite(x) || std::trunc(x) != x) return std::nullopt;
    if (x >= -9223372036854775808.0 && x < 9223372036854775808.0) return nlohmann::json(static_cast<std::int64_t>(x));
    if (x >= 0 && x < 18446744073709551616.0) return nlohmann::json(static_cast<std::uint64_t>(x));
    return std::nullopt;
}

// Two JSON integers (signed or unsigned) with the same value.
inline bool same_integer(const nlohmann::json& a, const nlohmann::json& b) {
    auto negative = [](const nlohmann::json& j) { return !j.is_number_unsigned() && j.get<std::int64_t>() < 0; };
    if (negative(a) != negative(b)) return false;
    if (negative(a)) return a.get<std::int64_t>() == b.get<std::int64_t>();
    return a.get<std::uint64_t>() == b.get<std::uint64_t>();
}

}  // namespace decode_numbers

TASKKIT_DECL bool has_risky_floats(const nlohmann::json& payload) {
    bool found = false;
    decode_numbers::walk(payload, payload, [&](const nlohmann::json& number, const nlohmann::json&, const auto&) {
        found = decode_numbers::risky(number);
        return !found;
    });
    return found;
}

TASKKIT_DECL nlohmann::json stand_in_risky_floats(const nlohmann::json& payload) {
    nlohmann::json copy = payload;  // its depth is bounded (max_payload_depth) before decoding
    decode_numbers::walk(copy, payload, [](nlohmann::json& number, const nlohmann::json&, const auto&) {
        if (decode_numbers::risky(number)) {
            const double x = number.get<double>();
            number = x >= 128.0 ? 127.0 : (x <= -1.0 ? -0.5 : 0.0);
        }
        return true;
    });
    return copy;
}

TASKKIT_DECL bool problems_touch_risky_floats(const nlohmann::json& payload,
                                              const std::vector<decode_problem>& problems) {
    std::vector<std::string> floats;
    decode_numbers::walk(payload, payload,
                         [&](const nlohmann::json& number, const nlohmann::json&, const auto& pointer) {
                             if (decode_numbers::risky(number)) floats.push_back(pointer());
                             return true;
                         });
    for (const auto& problem : problems) {
        if (problem.path.empty()) return true;
        for (const auto& at : floats) {
            if (at == problem.path || (at.starts_with(problem.path) && at[problem.path.size()] == '/')) return true;
        }
    }
    return false;
}

TASKKIT_DECL void risky_floats_to_integers(nlohmann::json& payload, const nlohmann::json& probe_back) {
    std::vector<decode_problem> problems;
    decode_numbers::walk(
        payload, probe_back, [&](nlohmann::json& number, const nlohmann::json& back, const auto& pointer) {
            if (!decode_numbers::risky(number) || !back.is_number_integer()) return true;
            const double x = number.get<double>();
            if (auto integer = decode_numbers::as_integer(x)) {
                number = std::move(*integer);  // integer to integer conversions are defined; checked later
            } else {
                problems.push_back({pointer(), std::isfinite(x) && std::trunc(x) != x
                                                   ? decode_numbers::fraction_lost(number)
                                                   : decode_numbers::out_of_range(number)});
            }
            return true;
        });
    if (!problems.empty()) throw decode_error(describe_problems(problems));
}

TASKKIT_DECL std::vector<decode_problem> number_problems(const nlohmann::json& input,
                                                         const nlohmann::json& decoded_back) {
    std::vector<decode_problem> problems;
    decode_numbers::walk(
        input, decoded_back, [&](const nlohmann::json& number, const nlohmann::json& back, const auto& pointer) {
            if (back.is_number_integer()) {
                if (number.is_number_float()) {
                    const double x = number.get<double>();
                    const auto integer = decode_numbers::as_integer(x);
                    if (!integer) {
                        problems.push_back({pointer(), std::isfinite(x) && std::trunc(x) != x
                                                           ? decode_numbers::fraction_lost(number)
                                                           : decode_numbers::out_of_range(number, back.dump())});
                    } else if (!decode_numbers::same_integer(*integer, back)) {
                        problems.push_back({pointer(), decode_numbers::out_of_range(number, back.dump())});
                    }
                } else if (!decode_numbers::same_integer(number, back)) {
                    problems.push_back({pointer(), decode_numbers::out_of_range(number, back.dump())});
                }
            } else if (back.is_number_float() && std::isfinite(number.get<double>()) &&
                       !std::isfinite(back.get<double>())) {
                problems.push_back({pointer(), decode_numbers::out_of_range(number, back.dump())});
            }
            return problems.size() < 16;  // enough to show; the payload is refused either way
        });
    return problems;
}

TASKKIT_DECL std::string describe_problems(const std::vector<decode_problem>& problems) {
    std::string text;
    for (const auto& problem : problems) {
        if (!text.empty()) text += "; ";
        text += (problem.path.empty() ? std::string("(root)") : problem.path) + ": " + problem.message;
    }
    return text;
}

TASKKIT_DECL std::vector<decode_problem> locate_decode_problems(const nlohmann::json& payload, const std::string& error,
                                                                const payload_type_ops& type, std::size_t max_probes) {
    const decode_trial trial = [&type](const nlohmann::json& j) -> std::optional<std::string> {
        try {
            (void)type.decode(j);
            return std::nullopt;
        } catch (const std::exception& e) {
            return std::string(e.what());
        } catch (...) {
            return std::string("an exception that is not a std::exception");
        }
    };
    return locate_decode_problems(payload, error, trial, type.reference(), max_probes);
}

TASKKIT_DECL std::string describe_decode_failure(const nlohmann::json& payload, const std::string& error,
                                                 const payload_type_ops& type) {
    return describe_problems(locate_decode_problems(payload, error, type));
}

TASKKIT_DECL std::shared_ptr<void> decode_exact(const nlohmann::json& payload, const payload_type_ops& type) {
    using json = nlohmann::json;
    auto decode = [&type](const json& source) {
        try {
            return type.decode(source);
        } catch (const std::exception& e) {  // also a custom from_json's own exceptions
            throw decode_error(describe_decode_failure(source, e.what(), type));
        }
    };
    // The decoded value as JSON again, or nullopt when its to_json throws (then nothing is checked).
    auto written_back = [&type](const void* value) -> std::optional<json> {
        try {
            return type.encode(value);
        } catch (...) {
            return std::nullopt;
        }
    };
    std::optional<json> adjusted;
    if (has_risky_floats(payload)) {
        // Which members the risky floats land in, learnt from a decode with stand-ins in their place.
        const json probe = stand_in_risky_floats(payload);
        std::shared_ptr<void> probe_value;
        try {
            probe_value = type.decode(probe);
        } catch (const std::exception& e) {
            auto problems = locate_decode_problems(probe, e.what(), type);
            // A member that fails without a stand-in in it fails the same way in the payload.
            if (!problems_touch_risky_floats(payload, problems)) throw decode_error(describe_problems(problems));
            // Otherwise a custom from_json may have refused a stand-in's value: decode the payload
            // as it is, as nlohmann would (the numbers are still checked below).
        }
        if (probe_value) {
            if (const auto back = written_back(probe_value.get())) {
                adjusted = payload;
                risky_floats_to_integers(*adjusted, *back);
            }
        }
    }
    const json& source = adjusted ? *adjusted : payload;
    auto value = decode(source);
    if (const auto back = written_back(value.get())) {
        const auto problems = number_problems(source, *back);
        if (!problems.empty()) throw decode_error(describe_problems(problems));
    }
    return value;
}

}  // namespace taskkit::detail
