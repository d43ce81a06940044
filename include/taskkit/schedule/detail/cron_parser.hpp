/// @file schedule/detail/cron_parser.hpp
/// The parser of cron expressions: text in, taskkit::detail::cron_fields or a reason out.
/// It never throws for bad input (taskkit::cron::parse turns the reason into a cron_error).
#pragma once

#include <taskkit/schedule/detail/cron_fields.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace taskkit::detail {

/// The outcome of parsing: the fields, or a reason (non-empty `error`) naming the field at fault.
struct cron_parse_result {
    cron_fields fields;
    std::string error;
};

/// Position of each field in an expression.
enum class cron_field : unsigned { minute, hour, day_of_month, month, day_of_week };

inline constexpr std::array<std::string_view, 5> cron_field_names = {"minute", "hour", "day-of-month", "month",
                                                                     "day-of-week"};
inline constexpr std::array<std::string_view, 12> cron_month_names = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
inline constexpr std::array<std::string_view, 12> cron_month_long_names = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
inline constexpr std::array<std::string_view, 7> cron_weekday_names = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

[[nodiscard]] constexpr char ascii_upper(char c) noexcept {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
}
[[nodiscard]] constexpr bool ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr bool ascii_letter(char c) noexcept { return ascii_upper(c) >= 'A' && ascii_upper(c) <= 'Z'; }
[[nodiscard]] constexpr bool ascii_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_upper(a[i]) != ascii_upper(b[i])) return false;
    }
    return true;
}

/// A character as it should appear in a message: printable ASCII as is, anything else as \xHH.
[[nodiscard]] inline std::string cron_printable(std::string_view text, std::size_t max_length = 64) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (i == max_length) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c >= 0x20 && c < 0x7F) {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

/// The parts of a message, joined.
[[nodiscard]] inline std::string cron_concat(std::initializer_list<std::string_view> parts) {
    std::size_t size = 0;
    for (const std::string_view part : parts) size += part.size();
    std::string out;
    out.reserve(size);
    for (const std::string_view part : parts) out.append(part);
    return out;
}

/// Parses one field of a cron expression.
class cron_field_parser {
public:
    cron_field_parser(cron_field field, std::string_view text, cron_fields& out)
        : field_(field), text_(text), out_(out) {}

    /// Parses the field into `out`; returns an empty string or the reason it is invalid.
    [[nodiscard]] std::string parse() {
        if (text_ == "*" || text_ == "?") {
            if (text_ == "?" && !is_day_field()) return "? is only allowed in day-of-month and day-of-week";
            set_range(min_value(), max_value(), 1);
            return {};
        }
        set_restricted();
        std::size_t begin = 0;
        for (;;) {
            const std::size_t comma = text_.find(',', begin);
            const std::string_view element =
                text_.substr(begin, comma == std::string_view::npos ? comma : comma - begin);
            if (element.empty()) {
                if (begin == 0) return "empty list element (the field starts with a comma)";
                if (comma == std::string_view::npos) return "empty list element (trailing comma)";
                return "empty list element (two commas in a row)";
            }
            if (std::string reason = parse_element(element); !reason.empty()) return reason;
            if (comma == std::string_view::npos) break;
            begin = comma + 1;
        }
        // Every element selects at least one value; this guards that no field can ever select none.
        if (selects_nothing()) return cron_concat({"'", cron_printable(text_), "' selects no value"});
        return {};
    }

private:
    static constexpr unsigned too_large = 1'000'000;  // numbers saturate here: no overflow, still out of range

    [[nodiscard]] bool selects_nothing() const noexcept {
        switch (field_) {
            case cron_field::minute:
                return out_.minutes == 0;
            case cron_field::hour:
                return out_.hours == 0;
            case cron_field::day_of_month:
                return out_.days == 0 && !out_.last_day;
            case cron_field::month:
                return out_.months == 0;
            case cron_field::day_of_week:
                return out_.weekdays == 0 && out_.last_weekdays == 0;
        }
        return true;
    }

    [[nodiscard]] bool is_day_field() const noexcept {
        return field_ == cron_field::day_of_month || field_ == cron_field::day_of_week;
    }
    [[nodiscard]] unsigned min_value() const noexcept {
        return field_ == cron_field::day_of_month || field_ == cron_field::month ? 1u : 0u;
    }
    [[nodiscard]] unsigned max_value() const noexcept {
        constexpr unsigned maxima[] = {59, 23, 31, 12, 7};
        return maxima[static_cast<unsigned>(field_)];
    }
    [[nodiscard]] std::string range_text() const {
        return cron_concat({std::to_string(min_value()), "-", std::to_string(max_value())});
    }

    void set_restricted() noexcept {
        if (field_ == cron_field::day_of_month) out_.days_restricted = true;
        if (field_ == cron_field::day_of_week) out_.weekdays_restricted = true;
    }

    void set_value(unsigned v) noexcept {
        switch (field_) {
            case cron_field::minute:
                out_.minutes |= std::uint64_t{1} << v;
                break;
            case cron_field::hour:
                out_.hours |= std::uint32_t{1} << v;
                break;
            case cron_field::day_of_month:
                out_.days |= std::uint32_t{1} << v;
                break;
            case cron_field::month:
                out_.months = static_cast<std::uint16_t>(out_.months | (1u << v));
                break;
            case cron_field::day_of_week:
                out_.weekdays = static_cast<std::uint8_t>(out_.weekdays | (1u << (v % 7)));
                break;
        }
    }

    void set_range(unsigned first, unsigned last, unsigned step) noexcept {
        // Day-of-week `*` is 0-6: 7 is only another name for Sunday.
        if (field_ == cron_field::day_of_week && first == 0 && last == 7 && step == 1) last = 6;
        for (unsigned v = first; v <= last; v += step) set_value(v);
    }

    /// A number or a name at `pos` (which is advanced past it), or a reason.
    [[nodiscard]] std::string read_value(std::string_view element, std::size_t& pos, unsigned& value) const {
        const std::size_t start = pos;
        if (pos < element.size() && ascii_digit(element[pos])) {
            value = 0;
            while (pos < element.size() && ascii_digit(element[pos])) {
                value = value >= too_large ? too_large : value * 10 + static_cast<unsigned>(element[pos] - '0');
                ++pos;
            }
            const std::string_view digits = element.substr(start, pos - start);
            if (value < min_value() || value > max_value()) {
                return cron_concat({std::string(digits), " is out of range ", range_text()});
            }
            return {};
        }
        if (pos < element.size() && ascii_letter(element[pos])) {
            while (pos < element.size() && ascii_letter(element[pos])) ++pos;
            const std::string_view name = element.substr(start, pos - start);
            if (iequals(name, "L") && field_ == cron_field::day_of_month) {
                return cron_concat(
                    {"'", cron_printable(element), "': L (last day of the month) cannot be part of a range"});
            }
            if (iequals(name, "L") && field_ != cron_field::day_of_week) {
                return "L is only allowed in day-of-month (last day) and day-of-week (e.g. 5L)";
            }
            if (field_ == cron_field::month) {
                for (unsigned i = 0; i < cron_month_names.size(); ++i) {
                    if (iequals(name, cron_month_names[i])) {
                        value = i + 1;
                        return {};
                    }
                }
                return cron_concat({"unknown month name '", cron_printable(name), "' (use JAN-DEC or 1-12)"});
            }
            if (field_ == cron_field::day_of_week) {
                for (unsigned i = 0; i < cron_weekday_names.size(); ++i) {
                    if (iequals(name, cron_weekday_names[i])) {
                        value = i;
                        return {};
                    }
                }
                // `FRIL`: a weekday name followed by L (last such weekday); the caller reads the L.
                if (name.size() == 4 && ascii_upper(name[3]) == 'L') {
                    for (unsigned i = 0; i < cron_weekday_names.size(); ++i) {
                        if (iequals(name.substr(0, 3), cron_weekday_names[i])) {
                            value = i;
                            --pos;
                            return {};
                        }
                    }
                }
                if (iequals(name, "L"))
                    return "L in day-of-week needs a weekday before it, e.g. 5L for the last Friday";
                return cron_concat({"unknown weekday name '", cron_printable(name), "' (use SUN-SAT or 0-7)"});
            }
            return cron_concat({"'", cron_printable(name), "' is not a number (expected ", range_text(), ")"});
        }
        if (pos >= element.size()) return cron_concat({"missing value at the end of '", cron_printable(element), "'"});
        return unexpected(element, pos);
    }

    [[nodiscard]] static std::string unexpected(std::string_view element, std::size_t pos) {
        const char c = element[pos];
        if (c == '-' && pos == 0)
            return cron_concat({"negative values are not allowed ('", cron_printable(element), "')"});
        if (c == '#')
            return cron_concat({"'", cron_printable(element), "': # (nth weekday of the month) is not supported"});
        if (c == '?') return "? must stand alone in its field";
        return cron_concat(
            {"unexpected character '", cron_printable(element.substr(pos, 1)), "' in '", cron_printable(element), "'"});
    }

    [[nodiscard]] std::string parse_element(std::string_view element) {
        // `L` (last day of the month) and its unsupported relatives.
        if (field_ == cron_field::day_of_month && ascii_upper(element[0]) == 'L') {
            if (element.size() == 1) {
                out_.last_day = true;
                return {};
            }
            if (iequals(element, "LW")) return "'LW': W (nearest weekday) is not supported";
            return cron_concat(
                {"'", cron_printable(element), "': L (last day of the month) cannot take a range, step or offset"});
        }
        unsigned first = min_value();
        unsigned last = max_value();
        std::size_t pos = 0;
        if (element[0] == '*') {
            pos = 1;
        } else {
            if (std::string reason = read_value(element, pos, first); !reason.empty()) return reason;
            last = first;
            // `5L` in day-of-week: the last Friday of the month.
            if (field_ == cron_field::day_of_week && pos < element.size() && ascii_upper(element[pos]) == 'L') {
                if (pos + 1 != element.size())
                    return cron_concat({"'", cron_printable(element), "': nL cannot take a range or step"});
                out_.last_weekdays = static_cast<std::uint8_t>(out_.last_weekdays | (1u << (first % 7)));
                return {};
            }
            if (field_ == cron_field::day_of_month && pos < element.size() && ascii_upper(element[pos]) == 'W') {
                return cron_concat({"'", cron_printable(element), "': W (nearest weekday) is not supported"});
            }
            if (pos < element.size() && element[pos] == '-') {
                ++pos;
                if (std::string reason = read_value(element, pos, last); !reason.empty()) return reason;
                if (first > last) {
                    return cron_concat({"range ", cron_printable(element.substr(0, pos)),
                                        " is backwards (its start is greater than its end)"});
                }
            } else if (pos < element.size() && element[pos] == '/') {
                // `5/15` means 5-max/15; in day-of-week the maximum is Saturday (6), and `7/n` is Sunday.
                last = max_value();
                if (field_ == cron_field::day_of_week && first < 7) last = 6;
            }
        }
        unsigned step = 1;
        if (pos < element.size() && element[pos] == '/') {
            ++pos;
            if (pos == element.size())
                return cron_concat({"missing step after '/' in '", cron_printable(element), "'"});
            if (!ascii_digit(element[pos])) {
                return cron_concat({"step in '", cron_printable(element), "' is not a number"});
            }
            const std::size_t start = pos;
            step = 0;
            while (pos < element.size() && ascii_digit(element[pos])) {
                step = step >= too_large ? too_large : step * 10 + static_cast<unsigned>(element[pos] - '0');
                ++pos;
            }
            const unsigned span = max_value() - min_value() + (field_ == cron_field::day_of_week ? 0u : 1u);
            if (step == 0) return cron_concat({"step 0 in '", cron_printable(element), "' must be at least 1"});
            if (step > span) {
                return cron_concat({"step ", std::string(element.substr(start, pos - start)), " is out of range 1-",
                                    std::to_string(span)});
            }
        }
        if (pos != element.size()) return unexpected(element, pos);
        if (element[0] == '*' && field_ == cron_field::day_of_week) last = 6;
        set_range(first, last, step);
        return {};
    }

    cron_field field_;
    std::string_view text_;
    cron_fields& out_;
};

/// The standard expansions of the nicknames (`@daily` and friends).
[[nodiscard]] constexpr std::string_view cron_nickname(std::string_view name) noexcept {
    if (iequals(name, "@yearly") || iequals(name, "@annually")) return "0 0 1 1 *";
    if (iequals(name, "@monthly")) return "0 0 1 * *";
    if (iequals(name, "@weekly")) return "0 0 * * 0";
    if (iequals(name, "@daily") || iequals(name, "@midnight")) return "0 0 * * *";
    if (iequals(name, "@hourly")) return "0 * * * *";
    return {};
}

/// When day-of-week is unrestricted and day-of-month has no `L`, the selected days must exist in
/// at least one selected month (February counts 29 days), or the schedule would never fire.
[[nodiscard]] inline std::string cron_check_reachable(const cron_fields& f) {
    if (f.weekdays_restricted || f.last_day) return {};
    std::uint32_t reachable = 0;
    for (unsigned m = 1; m <= 12; ++m) {
        if (f.months & (1u << m)) reachable |= ((std::uint32_t{1} << days_in_month(2000, m)) - 1) << 1;
    }
    if ((f.days & reachable) != 0) return {};
    std::string days;
    for (unsigned d = 1; d <= 31; ++d) {
        if (!(f.days & (1u << d))) continue;
        if (!days.empty()) days += ',';
        days += std::to_string(d);
    }
    std::string months;
    unsigned count = 0;
    unsigned total = static_cast<unsigned>(std::popcount(f.months));
    for (unsigned m = 1; m <= 12; ++m) {
        if (!(f.months & (1u << m))) continue;
        ++count;
        if (count > 1) months += count == total ? " or " : ", ";
        months += cron_month_long_names[m - 1];
    }
    return cron_concat({std::string(days.find(',') == std::string::npos ? "day " : "days "), days, " never occur",
                        (days.find(',') == std::string::npos ? "s" : ""), " in ", months,
                        ", so the schedule would never fire"});
}

/// Parses a whole expression (5 fields, or a nickname).
[[nodiscard]] inline cron_parse_result cron_parse(std::string_view text) {
    cron_parse_result result;
    while (!text.empty() && ascii_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && ascii_space(text.back())) text.remove_suffix(1);
    if (text.empty()) {
        result.error = "the expression is empty (expected 5 fields: minute hour day-of-month month day-of-week)";
        return result;
    }
    if (text.front() == '@') {
        const std::string_view expansion = cron_nickname(text);
        if (expansion.empty()) {
            if (iequals(text, "@reboot")) {
                result.error = "@reboot is not supported (it is not a time schedule)";
            } else {
                result.error =
                    cron_concat({"unknown nickname '", cron_printable(text),
                                 "' (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"});
            }
            return result;
        }
        text = expansion;
    }
    std::array<std::string_view, 5> fields{};
    std::size_t count = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        if (ascii_space(text[pos])) {
            ++pos;
            continue;
        }
        std::size_t end = pos;
        while (end < text.size() && !ascii_space(text[end])) ++end;
        if (count < fields.size()) fields[count] = text.substr(pos, end - pos);
        ++count;
        pos = end;
    }
    if (count != fields.size()) {
        result.error = cron_concat(
            {"expected 5 fields (minute hour day-of-month month day-of-week) but got ", std::to_string(count)});
        if (count == 6) result.error += "; taskkit::cron has no seconds field";
        return result;
    }
    for (unsigned i = 0; i < fields.size(); ++i) {
        cron_field_parser parser(static_cast<cron_field>(i), fields[i], result.fields);
        if (std::string reason = parser.parse(); !reason.empty()) {
            result.error = cron_concat({std::string(cron_field_names[i]), " field: ", reason});
            return result;
        }
    }
    if (std::string reason = cron_check_reachable(result.fields); !reason.empty()) {
        result.error = cron_concat({"day-of-month field: ", reason});
    }
    return result;
}

}  // namespace taskkit::detail
