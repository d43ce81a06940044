/// @file backend/local_run.hpp
/// taskkit::local_run — the runtime's in-process object for a run, as a backend sees it.
#pragma once

#include <taskkit/detail/config.hpp>

#include <string_view>

namespace taskkit {

/// The runtime's object for a run in this process: its typed payload and output, the flag its
/// waiters wait on, its stop source. Opaque to a backend but for its id. A backend in the process
/// (the memory backend) keeps it as its record of the run and hands it back with claims, so a
/// typed payload never becomes JSON; a database stores values and names runs by id.
class local_run {
public:
    local_run(const local_run&) = delete;
    local_run& operator=(const local_run&) = delete;
    virtual ~local_run() = default;

    /// The run's id ("run_" + 20 hex digits).
    [[nodiscard]] virtual std::string_view run_id() const noexcept = 0;

protected:
    local_run() = default;
};

}  // namespace taskkit
