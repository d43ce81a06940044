/// @file stream_writer.hpp
/// taskkit::stream_writer: what a run appends to one of its streams (ctx.stream("tokens")).
#pragma once

#include <taskkit/detail/config.hpp>

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace taskkit {

namespace detail {
struct run_state;
class run_services;
}  // namespace detail

/// One stream of the run executing (Trigger.dev's streams.append / metadata.stream): a named,
/// ordered sequence of JSON chunks that handles and the runtime follow as it grows
/// (stream_reader::subscribe) and read whole after the run (run_record::streams). From
/// `ctx.stream(name)`; for LLM output, progress, log tailing.
/// @code
/// auto out = ctx.stream("tokens");
/// for (const auto& token : model.generate(prompt)) out.append(token);
/// @endcode
class stream_writer {
public:
    stream_writer(detail::run_state& run, detail::run_services* services, std::string name);

    /// Appends `chunk`: kept on the run (its most recent runtime_options::max_stream_chunks chunks),
    /// stored by a durable backend, passed to subscribers at once. Throws options_error for a
    /// chunk that nests deeper than taskkit::max_payload_depth.
    stream_writer& append(nlohmann::json chunk);

    /// The stream's name.
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

    /// Whether `name` may name a stream: 1 to 64 characters of A–Z, a–z, 0–9, '-', '_', '.', ':'
    /// (it appears in URLs of the HTTP API).
    [[nodiscard]] static bool valid_name(std::string_view name) noexcept;
    /// Throws options_error, saying what a name may be, unless valid_name(name).
    static void check_name(std::string_view name);

private:
    detail::run_state* run_;
    detail::run_services* services_;
    std::string name_;
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/stream_writer.ipp>
#endif
