/// @file impl/run_metadata.ipp
/// The definitions of what <taskkit/run_metadata.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/run_metadata.hpp>

#include <mutex>

#include <taskkit/detail/run_services.hpp>
#include <taskkit/detail/run_state.hpp>

namespace taskkit {

TASKKIT_DECL run_metadata::run_metadata(detail::run_state* run, detail::run_services* services)
    : run_(run), services_(services) {}

TASKKIT_DECL run_metadata::run_metadata(std::shared_ptr<detail::run_state> held, std::string id,
                                        detail::run_services* services)
    : run_(held.get()), keep_(std::move(held)), services_(services) {
    if (!run_) elsewhere_ = std::move(id);
}

TASKKIT_DECL auto run_metadata::run_id() const noexcept -> std::string_view {
    return run_ ? std::string_view(run_->id) : std::string_view(elsewhere_);
}

TASKKIT_DECL auto run_metadata::related(std::string_view id) const -> run_metadata {
    if (!services_)
        throw state_error("run " + std::string(run_id()) + " has no runtime to reach run " + std::string(id));
    if (auto held = services_->held_run_state(id)) return run_metadata(std::move(held), std::string(id), services_);
    if (!services_->parent_of(id))
        throw state_error("run " + std::string(id) + " is no longer known: its metadata cannot change");
    return run_metadata(nullptr, std::string(id), services_);
}

TASKKIT_DECL auto run_metadata::parent() const -> run_metadata {
    std::string parent;
    if (run_) {
        parent = std::string(run_->parent_id());
    } else if (services_) {
        parent = services_->parent_of(elsewhere_).value_or("");
    }
    if (parent.empty()) throw state_error("run " + std::string(run_id()) + " is a root run: it has no parent");
    return related(parent);
}

TASKKIT_DECL auto run_metadata::root() const -> run_metadata {
    // Up the parents to the run that has none. Trees are shallow; the bound stops a cycle a
    // corrupt store might hold.
    std::string id(run_id());
    std::string parent = run_ ? std::string(run_->parent_id()) : std::string();
    if (!run_ && services_) parent = services_->parent_of(id).value_or("");
    if (parent.empty()) return *this;
    for (int depth = 0; depth < 1024 && !parent.empty(); ++depth) {
        id = parent;
        if (!services_) break;
        if (auto held = services_->held_run_state(id))
            parent = std::string(held->parent_id());
        else
            parent = services_->parent_of(id).value_or("");
    }
    return related(id);
}

TASKKIT_DECL auto run_metadata::apply(metadata_change change) -> run_metadata& {
    if (!run_) {
        if (!services_) throw state_error("run " + elsewhere_ + " has no runtime to change its metadata");
        services_->change_metadata_elsewhere(elsewhere_, change);
        return *this;
    }
    // The change reaches the object and the backend before another change of the run, or a newer
    // state of it from the backend, reaches the object (run_extras::metadata_writes).
    std::lock_guard writes(run_->metadata_writes());
    {
        std::lock_guard lock(run_->mutex);
        taskkit::apply(run_->extras().metadata, change);
    }
    if (services_) services_->metadata_changed(*run_, change);
    return *this;
}

TASKKIT_DECL auto run_metadata::set(std::string_view key, nlohmann::json value) -> run_metadata& {
    return apply(metadata_change{metadata_operation::set, std::string(key), std::move(value)});
}

TASKKIT_DECL auto run_metadata::add_integer(std::string_view key, std::int64_t by) -> run_metadata& {
    return apply(metadata_change{metadata_operation::increment, std::string(key), nlohmann::json(by)});
}

TASKKIT_DECL auto run_metadata::add_real(std::string_view key, double by) -> run_metadata& {
    return apply(metadata_change{metadata_operation::increment, std::string(key), nlohmann::json(by)});
}

TASKKIT_DECL auto run_metadata::append(std::string_view key, nlohmann::json value) -> run_metadata& {
    return apply(metadata_change{metadata_operation::append, std::string(key), std::move(value)});
}

TASKKIT_DECL auto run_metadata::remove(std::string_view key) -> run_metadata& {
    return apply(metadata_change{metadata_operation::remove, std::string(key), nullptr});
}

TASKKIT_DECL auto run_metadata::get() const -> nlohmann::json {
    if (!run_) {
        if (!services_) return detail::empty_object();
        return services_->metadata_elsewhere(elsewhere_);
    }
    std::lock_guard lock(run_->mutex);
    const auto* extras = run_->extras_if_any();
    return extras && extras->metadata.is_object() ? extras->metadata : detail::empty_object();
}

TASKKIT_DECL auto run_metadata::get(std::string_view key) const -> nlohmann::json {
    if (!run_) {
        auto all = get();
        auto it = all.find(std::string(key));
        return it == all.end() ? nlohmann::json(nullptr) : *it;
    }
    std::lock_guard lock(run_->mutex);
    const auto* extras = run_->extras_if_any();
    if (!extras || !extras->metadata.is_object()) return nullptr;
    auto it = extras->metadata.find(std::string(key));
    return it == extras->metadata.end() ? nlohmann::json(nullptr) : *it;
}

}  // namespace taskkit
