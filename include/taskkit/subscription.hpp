/// @file subscription.hpp
/// taskkit::subscription: keeps a status, realtime or stream subscription alive.
#pragma once

#include <memory>
#include <utility>

#include <taskkit/detail/runtime_core.hpp>

namespace taskkit {

/// Keeps a subscription (runtime::subscribe, runtime::watch, stream_reader::subscribe) alive; unsubscribes when
/// destroyed (waiting for a call under way).
class [[nodiscard]] subscription {
public:
    subscription() = default;
    subscription(std::weak_ptr<detail::runtime_core> core, std::shared_ptr<detail::runtime_core::subscriber> sub)
        : core_(std::move(core)), sub_(std::move(sub)) {}
    subscription(subscription&& other) noexcept = default;
    subscription& operator=(subscription&& other) noexcept {
        if (this != &other) {
            unsubscribe();
            core_ = std::move(other.core_);
            sub_ = std::move(other.sub_);
        }
        return *this;
    }
    subscription(const subscription&) = delete;
    subscription& operator=(const subscription&) = delete;
    ~subscription() { unsubscribe(); }

    /// Stops the callbacks. After it returns, the callback is not running and will not run again.
    void unsubscribe() {
        if (!sub_) return;
        if (auto core = core_.lock()) core->unsubscribe(sub_);
        sub_.reset();
    }

private:
    std::weak_ptr<detail::runtime_core> core_;
    std::shared_ptr<detail::runtime_core::subscriber> sub_;
};

}  // namespace taskkit
