/// @file detail/registry_extension.hpp
/// The one way an integration keeps state beside taskkit's core: an extension of a registry.
/// Not for users.
#pragma once

namespace taskkit::detail {

class runtime_core;

/// The base of a registry's extensions (`registry::extension<T>()`): one instance per registry and
/// type, made on first use and destroyed with the registry. The registry tells each of its
/// extensions when a runtime on it has started (its workers and timer running) and when one begins
/// to shut down (before its runs are canceled): an extension that keeps state per runtime (the
/// schedules of scheduled tasks, say) keys it by the runtime, holds it through weak pointers, and
/// creates it on first use for a runtime that started before the extension existed.
///
/// Both calls are made without the registry's locks held. What runtime_started throws leaves the
/// runtime's constructor; runtime_stopping must not throw (the runtime's destructor shuts it down).
class registry_extension {
public:
    registry_extension() = default;
    registry_extension(const registry_extension&) = delete;
    registry_extension& operator=(const registry_extension&) = delete;
    virtual ~registry_extension() = default;

    /// A runtime on the registry has started.
    virtual void runtime_started(runtime_core& /*core*/) {}

    /// A runtime on the registry begins to shut down.
    virtual void runtime_stopping(runtime_core& /*core*/) {}
};

}  // namespace taskkit::detail
