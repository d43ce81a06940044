/// @file impl/stream_writer.ipp
/// The definitions of what <taskkit/stream_writer.hpp> declares: included by that header
/// (header-only, the default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/stream_writer.hpp>

#include <mutex>

#include <taskkit/detail/run_services.hpp>
#include <taskkit/detail/run_state.hpp>
#include <taskkit/error.hpp>

namespace taskkit {

TASKKIT_DECL stream_writer::stream_writer(detail::run_state& run, detail::run_services* services, std::string name)
    : run_(&run), services_(services), name_(std::move(name)) {
    check_name(name_);
}

TASKKIT_DECL auto stream_writer::check_name(std::string_view name) -> void {
    if (!valid_name(name))
        throw options_error("stream name '" + std::string(name.substr(0, 80)) +
                            "' is not 1 to 64 characters of letters, digits, '-', '_', '.' and ':'");
}

TASKKIT_DECL auto stream_writer::valid_name(std::string_view name) noexcept -> bool {
    if (name.empty() || name.size() > 64) return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_' || c == '.' || c == ':';
        if (!ok) return false;
    }
    return true;
}

TASKKIT_DECL auto stream_writer::append(nlohmann::json chunk) -> stream_writer& {
    if (services_) {
        services_->append_stream(*run_, name_, std::move(chunk));
        return *this;
    }
    // Outside a runtime (testing::run_inline): kept on the run, for the test to read.
    detail::check_stream_chunk(name_, chunk);
    std::lock_guard lock(run_->mutex);
    (void)detail::keep_stream_chunk(run_->extras(), name_, std::move(chunk), detail::default_max_stream_chunks);
    return *this;
}

}  // namespace taskkit
