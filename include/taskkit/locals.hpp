/// @file locals.hpp
/// Typed per-attempt values shared by middleware, hooks and the run function: taskkit::local<T>
/// keys and the store an attempt's context holds (`ctx.locals()`).
#pragma once

#include <taskkit/detail/config.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include <taskkit/error.hpp>

namespace taskkit {

/// The key of a typed local: an object whose address names it. Declare one per value, usually at
/// namespace scope, and use it from middleware, hooks and the run function alike:
/// @code
/// inline const taskkit::local<db_connection> db{"db"};
/// // in a middleware, before next():
/// ctx.locals().set(db, db_connection(pool));
/// // in the run function:
/// ctx.locals().get(db).query("...");
/// @endcode
/// A key is neither copied nor moved (a copy would be another key). The name, optional, is
/// what errors call it.
template <class T>
class local {
public:
    constexpr local() noexcept = default;
    constexpr explicit local(std::string_view name) noexcept : name_(name) {}
    local(const local&) = delete;
    local& operator=(const local&) = delete;

    /// The name the key was given, or empty.
    [[nodiscard]] constexpr std::string_view name() const noexcept { return name_; }

private:
    std::string_view name_{};  // initialized here, so that `const local<T> key;` needs no initializer
};

/// Thrown by locals::get for a key that holds no value in this attempt (code invalid_state).
class local_unset_error : public state_error {
public:
    explicit local_unset_error(const std::string& message) : state_error(message) {}
};

/// An attempt's locals: at most one value per key, created by set() during the attempt and
/// destroyed after its cleanup hooks, in the reverse order of their first set(). Each attempt
/// starts with none (a retry sets them again, as the middleware or init that sets them runs
/// again). Thread-safe: on_cancel, which runs on the canceling thread, may read them; what it
/// does with a value it reads is the value's business.
class locals {
public:
    locals() = default;
    locals(const locals&) = delete;
    locals& operator=(const locals&) = delete;
    ~locals() { clear(); }

    /// Stores `value` under `key`, destroying the value it held, and returns the stored value.
    template <class T, class U = T>
    T& set(const local<T>& key, U&& value) {
        auto made = std::make_unique<holder<T>>(std::forward<U>(value));
        T& stored = made->value;
        std::unique_ptr<holder_base> old;
        {
            std::lock_guard lock(mutex_);
            for (auto& e : entries_) {
                if (e.key == &key) {
                    old = std::exchange(e.value, std::move(made));
                    break;
                }
            }
            if (made) {
                entries_.push_back(slot{&key, std::move(made)});
                size_.store(entries_.size(), std::memory_order_release);
            }
        }
        return stored;  // `old` is destroyed here, outside the lock
    }

    /// The value stored under `key`; throws local_unset_error when there is none.
    template <class T>
    [[nodiscard]] T& get(const local<T>& key) const {
        if (T* value = find(key)) return *value;
        throw local_unset_error(unset_message(key.name(), typeid(T).name()));
    }

    /// The value stored under `key`, or null.
    template <class T>
    [[nodiscard]] T* find(const local<T>& key) const {
        std::lock_guard lock(mutex_);
        for (const auto& e : entries_)
            if (e.key == &key) return &static_cast<holder<T>&>(*e.value).value;
        return nullptr;
    }

    /// Whether `key` holds a value.
    template <class T>
    [[nodiscard]] bool contains(const local<T>& key) const {
        return find(key) != nullptr;
    }

    /// Destroys the value stored under `key`, if any.
    template <class T>
    void erase(const local<T>& key) {
        std::unique_ptr<holder_base> old;
        std::lock_guard lock(mutex_);
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (it->key == &key) {
                old = std::move(it->value);
                entries_.erase(it);
                size_.store(entries_.size(), std::memory_order_release);
                break;
            }
        }
    }

    /// Destroys every value, the last set first (the runtime does this after cleanup).
    TASKKIT_DECL void clear() noexcept;

private:
    struct holder_base {
        virtual ~holder_base() = default;
    };
    template <class T>
    struct holder final : holder_base {
        template <class U>
        explicit holder(U&& v) : value(std::forward<U>(v)) {}
        T value;
    };
    struct slot {
        const void* key = nullptr;
        std::unique_ptr<holder_base> value;
    };

    [[nodiscard]] TASKKIT_DECL static std::string unset_message(std::string_view name, const char* type);

    mutable std::mutex mutex_;
    std::vector<slot> entries_;
    /// entries_.size(), written under the lock: clear() of an attempt that set no local (most
    /// attempts) returns without taking it.
    std::atomic<std::size_t> size_{0};
};

}  // namespace taskkit

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/impl/locals.ipp>
#endif
