/// @file run_metadata.hpp
/// A run's metadata, changed from inside the run and visible on its record at once.
#pragma once

#include <taskkit/detail/config.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include <taskkit/error.hpp>

namespace taskkit {

namespace detail {
struct run_state;
}  // namespace detail

/// The metadata object of a run (a JSON object), from `ctx.metadata()`. Every change is
/// atomic and visible to `rt.retrieve(id)` while the run executes.
/// @code
/// ctx.metadata().set("status", "uploading").increment("files").append("log", "started");
/// @endcode
class run_metadata {
public:
    explicit run_metadata(detail::run_state* run);

    /// Sets `key` to `value`.
    run_metadata& set(std::string_view key, nlohmann::json value);

    /// Appends `value` to the array at `key` (created when missing). Throws options_error when
    /// `key` holds something other than an array.
    run_metadata& append(std::string_view key, nlohmann::json value);

    /// Adds `by` to the number at `key` (0 when missing). Throws options_error when `key` holds
    /// something other than a number.
    template <class Number = std::int64_t>
    requires std::is_arithmetic_v<Number> run_metadata& increment(std::string_view key, Number by = 1) {
        if constexpr (std::is_integral_v<Number>)
            return add_integer(key, static_cast<std::int64_t>(by));
        else
            return add_real(key, static_cast<double>(by));
    }

    /// Subtracts `by` from the number at `key`.
    template <class Number = std::int64_t>
    requires std::is_arithmetic_v<Number> run_metadata& decrement(std::string_view key, Number by = 1) {
        return increment(key, -by);
    }

    /// Removes `key`.
    run_metadata& remove(std::string_view key);

    /// A copy of the whole metadata object.
    [[nodiscard]] nlohmann::json get() const;

    /// A copy of the value at `key` (null when missing).
    [[nodiscard]] nlohmann::json get(std::string_view key) const;

private:
    run_metadata& add_integer(std::string_view key, std::int64_t by);
    run_metadata& add_real(std::string_view key, double by);
    /// Tells a backend that stores metadata itself (a database) of the change.
    void changed() const;

    detail::run_state* run_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/run_metadata.ipp>
#endif
