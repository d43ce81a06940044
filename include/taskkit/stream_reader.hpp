/// @file stream_reader.hpp
/// taskkit::stream_reader: follows one stream of one run as it grows, or reads it whole.
#pragma once

#include <taskkit/detail/config.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <taskkit/run_record.hpp>
#include <taskkit/subscription.hpp>

namespace taskkit {

/// One chunk of a stream, as stream_reader::subscribe passes it. Valid during the call only.
struct stream_chunk {
    std::string_view stream;
    std::size_t index = 0;  ///< its position in the stream, from 0
    const nlohmann::json& data;
};

/// A stream of a run, from `handle.stream(name)` or `rt.stream(run_id, name)`: subscribe to follow
/// it as the run appends (the chunks appended before come first), read() for the chunks kept now
/// (all of them after the run ended, up to the bound).
/// @code
/// auto following = handle.stream("tokens").subscribe([](const taskkit::stream_chunk& c) {
///     std::cout << c.data.get<std::string>() << std::flush;
/// });
/// handle.wait();
/// @endcode
class stream_reader {
public:
    stream_reader(std::shared_ptr<detail::runtime_core> core, std::string run_id, std::string name);

    /// Calls `callback` with every chunk of the stream, in order and each once: first those kept
    /// now, then each one as it is appended (on the appending thread; keep the callback short).
    /// A chunk the bound dropped before it could be passed on is skipped (its index tells).
    [[nodiscard]] subscription subscribe(std::function<void(const stream_chunk&)> callback) const;

    /// The chunks kept now, oldest first: an empty record for a stream nothing appended to yet.
    /// Throws state_error for a run the runtime does not know.
    [[nodiscard]] stream_record read() const;

    [[nodiscard]] const std::string& run_id() const noexcept { return run_id_; }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

private:
    std::shared_ptr<detail::runtime_core> core_;
    std::string run_id_;
    std::string name_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/stream_reader.ipp>
#endif
