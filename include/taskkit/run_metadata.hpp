/// @file run_metadata.hpp
/// A run's metadata, changed from inside the run (or from a child, for its parent and root) and
/// visible on its record and to realtime subscribers at once.
#pragma once

#include <taskkit/detail/config.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include <taskkit/error.hpp>
#include <taskkit/metadata_change.hpp>

namespace taskkit {

namespace detail {
struct run_state;
class run_services;
}  // namespace detail

/// The metadata object of a run (a JSON object), from `ctx.metadata()`. Every change is
/// atomic, visible to `rt.retrieve(id)` while the run executes, and passed to the run's realtime
/// subscribers (runtime::watch) as an update_kind::metadata update.
/// @code
/// ctx.metadata().set("status", "uploading").increment("files").append("log", "started");
/// ctx.metadata().parent().increment("done");  // from a child: its parent's progress
/// @endcode
class run_metadata {
public:
    /// The metadata of `run`; `services` (the runtime) is told of each change. Made by run_context.
    explicit run_metadata(detail::run_state* run, detail::run_services* services = nullptr);

    /// The metadata of the run that triggered this one (Trigger.dev's metadata.parent), so a
    /// child can report progress on its parent while both execute. Throws state_error for a root
    /// run, or when the parent is gone.
    [[nodiscard]] run_metadata parent() const;

    /// The metadata of the root run of this run's tree (Trigger.dev's metadata.root): this run's
    /// own for a root run.
    [[nodiscard]] run_metadata root() const;

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

    /// Applies one change (what set, append, increment and remove each make).
    run_metadata& apply(metadata_change change);

    /// A copy of the whole metadata object.
    [[nodiscard]] nlohmann::json get() const;

    /// A copy of the value at `key` (null when missing).
    [[nodiscard]] nlohmann::json get(std::string_view key) const;

    /// The id of the run whose metadata this is.
    [[nodiscard]] std::string_view run_id() const noexcept;

private:
    /// Another run's metadata: `held` when this process holds the run, else its id (a durable
    /// backend changes it where it is stored).
    run_metadata(std::shared_ptr<detail::run_state> held, std::string id, detail::run_services* services);
    [[nodiscard]] run_metadata related(std::string_view id) const;

    run_metadata& add_integer(std::string_view key, std::int64_t by);
    run_metadata& add_real(std::string_view key, double by);

    detail::run_state* run_ = nullptr;          ///< the run, when this process holds it
    std::shared_ptr<detail::run_state> keep_;   ///< keeps another run's object alive
    std::string elsewhere_;                     ///< the id of a run this process does not hold
    detail::run_services* services_ = nullptr;  ///< null outside a runtime (run_inline)
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/run_metadata.ipp>
#endif
