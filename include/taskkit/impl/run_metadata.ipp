/// @file impl/run_metadata.ipp
/// The definitions of what <taskkit/run_metadata.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/run_metadata.hpp>

#include <mutex>

#include <taskkit/detail/json_depth.hpp>
#include <taskkit/detail/run_services.hpp>
#include <taskkit/detail/run_state.hpp>

namespace taskkit {

namespace detail {
/// A value going into a run's metadata object (one level below its root) must keep the whole
/// within max_payload_depth: snapshots copy it, and JSON copies recurse.
inline void check_metadata_depth(std::string_view key, const nlohmann::json& value, std::size_t below_root) {
    if (std::string where; json_depth_exceeds(value, max_payload_depth - below_root, &where))
        throw options_error("metadata '" + std::string(key) + "' nests deeper than taskkit::max_payload_depth (" +
                            std::to_string(max_payload_depth) + "), first at " + where);
}
}  // namespace detail

TASKKIT_DECL run_metadata::run_metadata(detail::run_state* run) : run_(run) {}

TASKKIT_DECL auto run_metadata::set(std::string_view key, nlohmann::json value) -> run_metadata& {
    detail::check_metadata_depth(key, value, 1);
    {
        std::lock_guard lock(run_->mutex);
        run_->extras().metadata[std::string(key)] = std::move(value);
    }
    changed();
    return *this;
}

TASKKIT_DECL auto run_metadata::changed() const -> void {
    if (run_->recorder) run_->recorder->metadata_changed(*run_);
}

TASKKIT_DECL auto run_metadata::add_integer(std::string_view key, std::int64_t by) -> run_metadata& {
    {
        std::lock_guard lock(run_->mutex);
        auto& slot = run_->extras().metadata[std::string(key)];
        if (slot.is_null()) slot = 0;
        if (!slot.is_number())
            throw options_error("metadata '" + std::string(key) + "' is not a number: cannot increment");
        if (slot.is_number_integer())
            slot = slot.get<std::int64_t>() + by;
        else
            slot = slot.get<double>() + static_cast<double>(by);
    }
    changed();
    return *this;
}

TASKKIT_DECL auto run_metadata::add_real(std::string_view key, double by) -> run_metadata& {
    {
        std::lock_guard lock(run_->mutex);
        auto& slot = run_->extras().metadata[std::string(key)];
        if (slot.is_null()) slot = 0;
        if (!slot.is_number())
            throw options_error("metadata '" + std::string(key) + "' is not a number: cannot increment");
        slot = slot.get<double>() + by;
    }
    changed();
    return *this;
}

TASKKIT_DECL auto run_metadata::append(std::string_view key, nlohmann::json value) -> run_metadata& {
    detail::check_metadata_depth(key, value, 2);
    {
        std::lock_guard lock(run_->mutex);
        auto& slot = run_->extras().metadata[std::string(key)];
        if (slot.is_null()) slot = nlohmann::json(nlohmann::json::value_t::array);
        if (!slot.is_array()) throw options_error("metadata '" + std::string(key) + "' is not an array: cannot append");
        slot.push_back(std::move(value));
    }
    changed();
    return *this;
}

TASKKIT_DECL auto run_metadata::remove(std::string_view key) -> run_metadata& {
    {
        std::lock_guard lock(run_->mutex);
        if (auto* extras = run_->extras_if_any(); extras && extras->metadata.is_object())
            extras->metadata.erase(std::string(key));
    }
    changed();
    return *this;
}

TASKKIT_DECL auto run_metadata::get() const -> nlohmann::json {
    std::lock_guard lock(run_->mutex);
    const auto* extras = run_->extras_if_any();
    return extras && extras->metadata.is_object() ? extras->metadata : detail::empty_object();
}

TASKKIT_DECL auto run_metadata::get(std::string_view key) const -> nlohmann::json {
    std::lock_guard lock(run_->mutex);
    const auto* extras = run_->extras_if_any();
    if (!extras || !extras->metadata.is_object()) return nullptr;
    auto it = extras->metadata.find(std::string(key));
    return it == extras->metadata.end() ? nlohmann::json(nullptr) : *it;
}

}  // namespace taskkit
