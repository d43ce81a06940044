// What the API reads from requests and writes back.
#include "http/codec.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include <taskkit/http/http_error.hpp>
#include <taskkit/machine.hpp>
#include <taskkit/task_description.hpp>

#if TASKKIT_HTTP_SCHEDULES
#include <taskkit/schedule.hpp>
#endif

namespace taskkit::http::detail {

void issues::add(std::string path, std::string message) {
    nlohmann::json one(nlohmann::json::value_t::object);
    one["path"] = std::move(path);
    one["message"] = std::move(message);
    list_.push_back(std::move(one));
}

void issues::throw_if_any(std::string_view what) const {
    if (list_.empty()) return;
    std::string message(what);
    message += ": ";
    message += list_[0]["path"].get<std::string>();
    message += ": ";
    message += list_[0]["message"].get<std::string>();
    if (list_.size() > 1) message += fmt::format(" (and {} more)", list_.size() - 1);
    throw http_error(400, "validation_failed", message, list_);
}

// ------------------------------------------------------------------ durations and times

namespace {

/// Reads a non-negative decimal number (digits with an optional fraction) at the front of `text`.
bool read_decimal(std::string_view& text, double& out) {
    std::size_t i = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.' || text[i] == ',')) ++i;
    if (i == 0) return false;
    std::string digits(text.substr(0, i));
    for (auto& c : digits)
        if (c == ',') c = '.';
    if (digits.find('.') != digits.rfind('.') || digits == ".") return false;
    char* end = nullptr;
    out = std::strtod(digits.c_str(), &end);
    if (end != digits.c_str() + digits.size() || !std::isfinite(out)) return false;
    text.remove_prefix(i);
    return true;
}

/// Milliseconds from a count of seconds, refusing what does not fit.
std::optional<std::chrono::milliseconds> to_millis_checked(double seconds) {
    const double ms = std::round(seconds * 1000.0);
    if (!std::isfinite(ms) || ms < 0 || ms > 9.0e15) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

bool read_fixed(std::string_view text, std::size_t at, std::size_t n, int& out) {
    if (at + n > text.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        out = out * 10 + (text[i] - '0');
    }
    return true;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(const nlohmann::json& value, std::string* why) {
    const auto fail = [&](std::string message) -> std::optional<std::chrono::milliseconds> {
        if (why != nullptr) *why = std::move(message);
        return std::nullopt;
    };
    if (value.is_number_unsigned() || value.is_number_integer()) {
        if (value.is_number_integer() && value.get<std::int64_t>() < 0) return fail("must not be negative");
        const auto ms = value.get<std::uint64_t>();
        if (ms > 9'000'000'000'000'000ULL) return fail("is too large");
        return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
    }
    if (value.is_number_float()) {
        const double ms = value.get<double>();
        if (!std::isfinite(ms) || ms < 0) return fail("must be a non-negative number of milliseconds");
        if (ms > 9.0e15) return fail("is too large");
        return std::chrono::milliseconds(static_cast<std::int64_t>(std::round(ms)));
    }
    if (!value.is_string()) return fail("must be a number of milliseconds or an ISO 8601 duration such as \"PT5M\"");
    std::string_view text = value.get_ref<const std::string&>();
    const std::string shown(value.get<std::string>().substr(0, 64));
    if (text.empty() || (text[0] != 'P' && text[0] != 'p'))
        return fail(fmt::format("\"{}\" is not an ISO 8601 duration (e.g. \"PT30S\", \"PT5M\", \"P1DT2H\")", shown));
    text.remove_prefix(1);
    double seconds = 0;
    bool in_time = false;
    bool any = false;
    while (!text.empty()) {
        if (text[0] == 'T' || text[0] == 't') {
            if (in_time) return fail(fmt::format("\"{}\" has two 'T's", shown));
            in_time = true;
            text.remove_prefix(1);
            continue;
        }
        double n = 0;
        if (!read_decimal(text, n) || text.empty())
            return fail(fmt::format("\"{}\" is not an ISO 8601 duration", shown));
        const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
        text.remove_prefix(1);
        if (!in_time && unit == 'W') {
            seconds += n * 7 * 86400;
        } else if (!in_time && unit == 'D') {
            seconds += n * 86400;
        } else if (!in_time && (unit == 'Y' || unit == 'M')) {
            return fail(fmt::format("\"{}\": years and months have no fixed length; use days (\"P30D\")", shown));
        } else if (in_time && unit == 'H') {
            seconds += n * 3600;
        } else if (in_time && unit == 'M') {
            seconds += n * 60;
        } else if (in_time && unit == 'S') {
            seconds += n;
        } else {
            return fail(fmt::format("\"{}\" is not an ISO 8601 duration", shown));
        }
        any = true;
    }
    if (!any) return fail(fmt::format("\"{}\" is an empty duration", shown));
    auto ms = to_millis_checked(seconds);
    if (!ms) return fail(fmt::format("\"{}\" is too large", shown));
    return ms;
}

std::optional<time_point> parse_rfc3339(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!read_fixed(text, 0, 4, year) || text.size() < 20 || text[4] != '-' || !read_fixed(text, 5, 2, month) ||
        text[7] != '-' || !read_fixed(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
        !read_fixed(text, 11, 2, hour) || text[13] != ':' || !read_fixed(text, 14, 2, minute) || text[16] != ':' ||
        !read_fixed(text, 17, 2, second))
        return std::nullopt;
    std::size_t i = 19;
    std::int64_t nanos = 0;
    if (i < text.size() && text[i] == '.') {
        ++i;
        int digits = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            if (digits < 9) {
                nanos = nanos * 10 + (text[i] - '0');
                ++digits;
            }
            ++i;
        }
        if (digits == 0) return std::nullopt;
        for (int d = digits; d < 9; ++d) nanos *= 10;
    }
    int offset_minutes = 0;
    if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
        ++i;
    } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
        int oh = 0, om = 0;
        if (!read_fixed(text, i + 1, 2, oh) || i + 3 >= text.size() || text[i + 3] != ':' ||
            !read_fixed(text, i + 4, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offset_minutes = (oh * 60 + om) * (text[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return std::nullopt;
    }
    if (i != text.size()) return std::nullopt;
    using namespace std::chrono;
    const year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                             std::chrono::day(static_cast<unsigned>(day))};
    if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    // In milliseconds first: a time_point counts nanoseconds, which end in 2262.
    const auto ms = duration_cast<milliseconds>(sys_days(ymd).time_since_epoch()) + hours(hour) + minutes(minute) +
                    seconds(second) - minutes(offset_minutes) + milliseconds(nanos / 1'000'000);
    if (ms > duration_cast<milliseconds>(time_point::max().time_since_epoch()) - seconds(1) ||
        ms < duration_cast<milliseconds>(time_point::min().time_since_epoch()) + seconds(1))
        return std::nullopt;
    return time_point(duration_cast<system_clock::duration>(ms) + nanoseconds(nanos % 1'000'000));
}

std::optional<time_point> parse_time(const nlohmann::json& value) {
    if (value.is_number_integer() || value.is_number_unsigned()) {
        const auto ms = value.get<std::int64_t>();
        // Up to what a time_point (nanoseconds) holds: the year 2262.
        if (ms < 0 ||
            ms > std::chrono::duration_cast<std::chrono::milliseconds>(time_point::max().time_since_epoch()).count() -
                     1000)
            return std::nullopt;
        return time_point(std::chrono::milliseconds(ms));
    }
    if (value.is_string()) {
        const auto& s = value.get_ref<const std::string&>();
        if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() <= 15)
            return parse_time(nlohmann::json(std::stoll(s)));
        return parse_rfc3339(s);
    }
    return std::nullopt;
}

std::string format_rfc3339(time_point t) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(t);
    const auto days = floor<std::chrono::days>(ms);
    const year_month_day ymd(days);
    const hh_mm_ss<milliseconds> tod(ms - days);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), tod.hours().count(),
                       tod.minutes().count(), tod.seconds().count(), tod.subseconds().count());
}

// ------------------------------------------------------------------ trigger options

namespace {

std::optional<std::string> string_field(const nlohmann::json& v, const std::string& path, issues& problems) {
    if (!v.is_string()) {
        problems.add(path, "must be a string");
        return std::nullopt;
    }
    return v.get<std::string>();
}

std::optional<int> int_field(const nlohmann::json& v, const std::string& path, issues& problems) {
    if (!v.is_number_integer() && !v.is_number_unsigned()) {
        problems.add(path, "must be an integer");
        return std::nullopt;
    }
    if (v.is_number_unsigned() ? v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<int>::max())
                               : (v.get<std::int64_t>() > std::numeric_limits<int>::max() ||
                                  v.get<std::int64_t>() < std::numeric_limits<int>::min())) {
        problems.add(path, "is out of range");
        return std::nullopt;
    }
    return static_cast<int>(v.get<std::int64_t>());
}

std::optional<std::chrono::milliseconds> duration_field(const nlohmann::json& v, const std::string& path,
                                                        issues& problems) {
    std::string why;
    auto d = parse_duration(v, &why);
    if (!d) problems.add(path, why);
    return d;
}

std::optional<machine> machine_field(const nlohmann::json& v, const std::string& path, issues& problems) {
    if (v.is_string()) {
        if (auto m = machines::preset(v.get_ref<const std::string&>())) return m;
        problems.add(path, fmt::format("\"{}\" is not a machine preset (micro, small-1x, small-2x, medium-1x, "
                                       "medium-2x, large-1x, large-2x, none)",
                                       v.get_ref<const std::string&>().substr(0, 64)));
        return std::nullopt;
    }
    if (!v.is_object()) {
        problems.add(path, "must be a preset name or {\"cpu\": n, \"memory\": n}");
        return std::nullopt;
    }
    machine m;
    bool ok = true;
    for (const auto& [key, value] : v.items()) {
        if (key != "cpu" && key != "memory") {
            problems.add(path + "/" + key, "unknown field (cpu, memory)");
            ok = false;
        } else if (!value.is_number()) {
            problems.add(path + "/" + key, "must be a number");
            ok = false;
        } else {
            (key == "cpu" ? m.cpu : m.memory) = value.get<double>();
        }
    }
    if (!v.contains("cpu") || !v.contains("memory")) {
        problems.add(path, "needs both cpu and memory");
        ok = false;
    }
    return ok ? std::optional<machine>(m) : std::nullopt;
}

/// {"key": "...", "delay": duration, "max_delay": duration, "mode": "leading" | "trailing"}.
void debounce_field(const nlohmann::json& v, const std::string& path, issues& problems, debounce_options& out) {
    if (!v.is_object()) {
        problems.add(path, "must be an object {key, delay, max_delay, mode}");
        return;
    }
    for (const auto& [key, value] : v.items()) {
        const std::string at = path + "/" + key;
        if (key == "key") {
            if (auto s = string_field(value, at, problems)) out.key = *s;
        } else if (key == "delay") {
            if (auto d = duration_field(value, at, problems)) out.delay = *d;
        } else if (key == "max_delay") {
            if (auto d = duration_field(value, at, problems)) out.max_delay = *d;
        } else if (key == "mode") {
            if (auto s = string_field(value, at, problems)) {
                if (*s == "leading")
                    out.mode = debounce_mode::leading;
                else if (*s == "trailing")
                    out.mode = debounce_mode::trailing;
                else
                    problems.add(at, "must be \"leading\" or \"trailing\"");
            }
        } else {
            problems.add(at, "unknown field (key, delay, max_delay, mode)");
        }
    }
}

}  // namespace

trigger_options parse_trigger_options(const nlohmann::json& options, issues& problems) {
    trigger_options out;
    if (options.is_null()) return out;
    if (!options.is_object()) {
        problems.add("/options", "must be an object");
        return out;
    }
    for (const auto& [key, v] : options.items()) {
        const std::string path = "/options/" + key;
        if (key == "idempotency_key") {
            if (auto s = string_field(v, path, problems)) out.idempotency_key = *s;
        } else if (key == "idempotency_key_ttl") {
            if (auto d = duration_field(v, path, problems)) out.idempotency_key_ttl = *d;
        } else if (key == "delay") {
            if (v.is_string() && !v.get_ref<const std::string&>().empty() &&
                (v.get_ref<const std::string&>()[0] != 'P' && v.get_ref<const std::string&>()[0] != 'p')) {
                if (auto t = parse_rfc3339(v.get_ref<const std::string&>()))
                    out.delay = run_delay(std::chrono::time_point_cast<std::chrono::system_clock::duration>(*t));
                else
                    problems.add(path,
                                 "must be a number of milliseconds, an ISO 8601 duration (\"PT5M\") or an "
                                 "RFC 3339 time (\"2026-03-09T08:30:00Z\")");
            } else if (auto d = duration_field(v, path, problems)) {
                out.delay = run_delay(*d);
            }
        } else if (key == "idempotency_scope") {
            if (auto s = string_field(v, path, problems)) {
                if (*s == "global")
                    out.idempotency_scope = idempotency_scope::global;
                else if (*s == "run")
                    out.idempotency_scope = idempotency_scope::run;
                else if (*s == "attempt")
                    out.idempotency_scope = idempotency_scope::attempt;
                else
                    problems.add(path, "must be \"global\", \"run\" or \"attempt\"");
            }
        } else if (key == "debounce") {
            debounce_field(v, path, problems, out.debounce);
        } else if (key == "ttl") {
            if (auto d = duration_field(v, path, problems)) out.ttl = *d;
        } else if (key == "tags") {
            if (v.is_string()) {
                out.tags.push_back(v.get<std::string>());
            } else if (!v.is_array()) {
                problems.add(path, "must be an array of strings");
            } else {
                for (std::size_t i = 0; i < v.size(); ++i)
                    if (auto s = string_field(v[i], path + "/" + std::to_string(i), problems)) out.tags.push_back(*s);
            }
        } else if (key == "metadata") {
            if (!v.is_object() && !v.is_null())
                problems.add(path, "must be an object");
            else
                out.metadata = v;
        } else if (key == "queue") {
            if (auto s = string_field(v, path, problems)) out.queue = *s;
        } else if (key == "concurrency_key") {
            if (auto s = string_field(v, path, problems)) out.concurrency_key = *s;
        } else if (key == "priority") {
            if (auto n = int_field(v, path, problems)) out.priority = *n;
        } else if (key == "max_attempts") {
            if (auto n = int_field(v, path, problems)) out.max_attempts = *n;
        } else if (key == "max_duration") {
            if (auto d = duration_field(v, path, problems)) out.max_duration = *d;
        } else if (key == "machine") {
            if (auto m = machine_field(v, path, problems)) out.machine = *m;
        } else {
            problems.add(path,
                         "unknown option (idempotency_key, idempotency_key_ttl, idempotency_scope, delay, debounce, "
                         "ttl, tags, metadata, queue, concurrency_key, priority, max_attempts, max_duration, machine)");
        }
    }
    if (problems.empty()) {
        // The core's own range checks, reported at the option's path where it can be told.
        try {
            out.validate();
        } catch (const taskkit::error& e) {
            problems.add("/options", e.what());
        }
    }
    return out;
}

// ------------------------------------------------------------------ filters

namespace {

void add_statuses(run_filter& f, std::string_view text, const std::string& path, issues& problems) {
    while (!text.empty()) {
        const auto comma = text.find(',');
        const auto name = text.substr(0, comma);
        if (!name.empty()) {
            if (auto s = parse_run_status(name))
                f.statuses.push_back(*s);
            else
                problems.add(path, fmt::format("\"{}\" is not a status (delayed, queued, executing, waiting, "
                                               "retrying, completed, failed, canceled, timed_out, expired, crashed)",
                                               name.substr(0, 64)));
        }
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
}

void add_list(std::vector<std::string>& out, std::string_view text) {
    while (!text.empty()) {
        const auto comma = text.find(',');
        if (comma != 0) out.emplace_back(text.substr(0, comma));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
}

void set_limit(run_filter& f, const nlohmann::json& v, const std::string& path, issues& problems) {
    std::int64_t n = -1;
    if (v.is_number_integer() || v.is_number_unsigned()) {
        n = v.get<std::int64_t>();
    } else if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec != std::errc() || end != s.data() + s.size()) n = -1;
    }
    if (n < 1 || n > 500) {
        problems.add(path, "must be an integer from 1 to 500");
        return;
    }
    f.limit = static_cast<std::size_t>(n);
}

}  // namespace

run_filter parse_filter_query(const httplib::Request& req) {
    run_filter f;
    f.limit = 50;
    issues problems;
    for (const auto& [key, value] : req.params) {
        const std::string path = "?" + key;
        if (key == "status") {
            add_statuses(f, value, path, problems);
        } else if (key == "task") {
            add_list(f.tasks, value);
        } else if (key == "tag") {
            add_list(f.tags, value);
        } else if (key == "queue") {
            f.queue = value;
        } else if (key == "batch") {
            if (value.empty() || value.size() > max_batch_id_length)
                problems.add(path, fmt::format("must be a batch id of 1 to {} characters", max_batch_id_length));
            else
                f.batch_id = value;
        } else if (key == "created_from" || key == "created_to") {
            auto t = parse_time(nlohmann::json(value));
            if (!t)
                problems.add(path, "must be milliseconds since the Unix epoch or an RFC 3339 time");
            else
                (key == "created_from" ? f.created_from : f.created_to) = *t;
        } else if (key == "limit") {
            set_limit(f, nlohmann::json(value), path, problems);
        } else if (key == "cursor") {
            f.cursor = value;
        } else if (key == "token" || key == "last_event_id") {
            // The event stream's own parameters.
        } else {
            problems.add(
                path, "unknown parameter (status, task, tag, queue, batch, created_from, created_to, limit, cursor)");
        }
    }
    problems.throw_if_any("bad query");
    return f;
}

run_filter parse_filter_json(const nlohmann::json& filter, const std::string& where, issues& problems) {
    run_filter f;
    if (filter.is_null()) return f;
    if (!filter.is_object()) {
        problems.add(where, "must be an object");
        return f;
    }
    const auto strings = [&](const nlohmann::json& v, const std::string& path, auto&& add) {
        if (v.is_string()) {
            add(v.get_ref<const std::string&>());
        } else if (v.is_array()) {
            for (std::size_t i = 0; i < v.size(); ++i) {
                if (v[i].is_string())
                    add(v[i].get_ref<const std::string&>());
                else
                    problems.add(path + "/" + std::to_string(i), "must be a string");
            }
        } else {
            problems.add(path, "must be a string or an array of strings");
        }
    };
    for (const auto& [key, v] : filter.items()) {
        const std::string path = where + "/" + key;
        if (key == "status") {
            strings(v, path, [&](const std::string& s) { add_statuses(f, s, path, problems); });
        } else if (key == "task") {
            strings(v, path, [&](const std::string& s) { f.tasks.push_back(s); });
        } else if (key == "tag") {
            strings(v, path, [&](const std::string& s) { f.tags.push_back(s); });
        } else if (key == "queue") {
            if (v.is_string())
                f.queue = v.get<std::string>();
            else
                problems.add(path, "must be a string");
        } else if (key == "batch") {
            if (v.is_string() && !v.get_ref<const std::string&>().empty() &&
                v.get_ref<const std::string&>().size() <= max_batch_id_length)
                f.batch_id = v.get<std::string>();
            else
                problems.add(path, fmt::format("must be a batch id of 1 to {} characters", max_batch_id_length));
        } else if (key == "created_from" || key == "created_to") {
            auto t = parse_time(v);
            if (!t)
                problems.add(path, "must be milliseconds since the Unix epoch or an RFC 3339 time");
            else
                (key == "created_from" ? f.created_from : f.created_to) = *t;
        } else {
            problems.add(path, "unknown filter field (status, task, tag, queue, batch, created_from, created_to)");
        }
    }
    return f;
}

bool filter_is_empty(const run_filter& f) {
    return f.statuses.empty() && f.tasks.empty() && f.tags.empty() && f.queue.empty() && f.batch_id.empty() &&
           !f.created_from && !f.created_to;
}

// ------------------------------------------------------------------ tasks and runs

namespace {

nlohmann::json rate_json(const std::optional<rate_limit>& r) {
    if (!r) return nullptr;
    nlohmann::json j(nlohmann::json::value_t::object);
    j["limit"] = r->limit;
    j["period_ms"] = r->period.count();
    return j;
}

nlohmann::json task_json(runtime& rt, const task_description& t) {
    nlohmann::json j(nlohmann::json::value_t::object);
    j["id"] = t.id;
    j["kind"] = t.kind;
    j["description"] = t.description;
    nlohmann::json q(nlohmann::json::value_t::object);
    q["name"] = t.queue.name;
    q["concurrency_limit"] = t.queue.concurrency_limit;
    q["total_concurrency_limit"] = t.queue.total_concurrency_limit;
    q["rate_limit"] = rate_json(t.queue.rate_limit);
    q["key_rate_limit"] = rate_json(t.queue.key_rate_limit);
    j["queue"] = std::move(q);
    nlohmann::json r(nlohmann::json::value_t::object);
    r["max_attempts"] = t.retry.max_attempts;
    r["factor"] = t.retry.factor;
    r["min_timeout_ms"] = t.retry.min_timeout.count();
    r["max_timeout_ms"] = t.retry.max_timeout.count();
    r["randomize"] = t.retry.randomize;
    j["retry"] = std::move(r);
    j["machine"]["cpu"] = t.machine_spec.cpu;
    j["machine"]["memory"] = t.machine_spec.memory;
    j["max_duration_ms"] = t.max_duration ? nlohmann::json(t.max_duration->count()) : nlohmann::json(nullptr);
    j["schema"] = t.payload_schema;
#if TASKKIT_HTTP_SCHEDULES
    nlohmann::json schedules = nlohmann::json::array();
    if (t.kind == "scheduled") {
        try {
            for (const auto& s : taskkit::schedules(rt).list({.task = t.id})) schedules.push_back(s);
        } catch (const taskkit::error&) {
            // A runtime without schedules answers none.
        }
    }
    j["schedules"] = std::move(schedules);
#else
    (void)rt;
#endif
    return j;
}

}  // namespace

nlohmann::json describe_task(runtime& rt, std::string_view id) {
    auto d = rt.registry().describe(id);
    if (!d) throw http_error(404, "unknown_task", "no task with id '" + std::string(id.substr(0, 128)) + "'");
    return task_json(rt, *d);
}

nlohmann::json describe_tasks(runtime& rt) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : rt.registry().describe()) out.push_back(task_json(rt, d));
    return out;
}

nlohmann::json run_summary(const run_record& r) {
    nlohmann::json j = r;
    j.erase("logs");
    return j;
}

nlohmann::json run_link(runtime& rt, const std::string& id) {
    nlohmann::json j(nlohmann::json::value_t::object);
    j["id"] = id;
    if (auto r = rt.retrieve(id)) {
        j["task_id"] = r->task_id;
        j["status"] = to_string(r->status);
    } else {
        j["task_id"] = nullptr;
        j["status"] = nullptr;
    }
    return j;
}

}  // namespace taskkit::http::detail
