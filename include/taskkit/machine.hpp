/// @file machine.hpp
/// Machine budgets: how much cpu and memory a run holds while it executes.
#pragma once

#include <optional>
#include <string_view>

namespace taskkit {

/// A cpu/memory budget. A task that declares the machine each of its runs needs starts a run
/// only when that machine fits in what is free of the runtime's capacity; a task that declares
/// none (machines::none, the default) holds nothing from the budget.
/// @code
/// .machine = {.cpu = 2, .memory = 4}          // 2 vCPU, 4 GB
/// .machine = taskkit::machines::large_1x
/// @endcode
struct machine {
    double cpu = 0.5;     ///< virtual CPUs
    double memory = 0.5;  ///< gigabytes

    friend constexpr bool operator==(const machine&, const machine&) = default;

    /// True for a machine that holds part of a budget (cpu and memory both greater than 0), and
    /// for machines::none (both 0).
    [[nodiscard]] constexpr bool valid() const noexcept { return (cpu > 0 && memory > 0) || (cpu == 0 && memory == 0); }

    /// True when this machine fits inside `capacity`.
    [[nodiscard]] constexpr bool fits_in(const machine& capacity) const noexcept {
        return cpu <= capacity.cpu + 1e-9 && memory <= capacity.memory + 1e-9;
    }
};

/// The named presets of Trigger.dev.
namespace machines {
/// No machine: a run holds nothing from the budget (the default of a task that declares none).
inline constexpr machine none{.cpu = 0, .memory = 0};
inline constexpr machine micro{.cpu = 0.25, .memory = 0.25};
inline constexpr machine small_1x{.cpu = 0.5, .memory = 0.5};  ///< Trigger.dev's default
inline constexpr machine small_2x{.cpu = 1, .memory = 1};
inline constexpr machine medium_1x{.cpu = 1, .memory = 2};
inline constexpr machine medium_2x{.cpu = 2, .memory = 4};
inline constexpr machine large_1x{.cpu = 4, .memory = 8};
inline constexpr machine large_2x{.cpu = 8, .memory = 16};

/// Looks a preset up by its Trigger.dev name ("micro", "small-1x", … "large-2x"), or "none".
[[nodiscard]] constexpr std::optional<machine> preset(std::string_view name) noexcept {
    if (name == "none") return none;
    if (name == "micro") return micro;
    if (name == "small-1x") return small_1x;
    if (name == "small-2x") return small_2x;
    if (name == "medium-1x") return medium_1x;
    if (name == "medium-2x") return medium_2x;
    if (name == "large-1x") return large_1x;
    if (name == "large-2x") return large_2x;
    return std::nullopt;
}
}  // namespace machines

}  // namespace taskkit
