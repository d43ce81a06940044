/// @file result.hpp
/// The outcome of a finished run, without throwing: ok with an output, or an error.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <taskkit/error.hpp>
#include <taskkit/run_record.hpp>
#include <taskkit/run_status.hpp>

namespace taskkit {

/// What a finished run produced. Returned by `trigger_and_wait` and `run_handle::result()`.
/// @code
/// auto result = child.trigger_and_wait({.n = 3});
/// if (result.ok()) use(result.output());
/// else ctx.logger().warn("child failed: {}", result.error().message);
/// int n = child.trigger_and_wait({.n = 4}).unwrap();   // or throw the child's error
/// @endcode
template <class R>
class result {
public:
    result(std::string run_id, run_status status, std::optional<R> output, std::optional<error_info> error)
        : run_id_(std::move(run_id)), status_(status), output_(std::move(output)), error_(std::move(error)) {}

    /// True when the run completed.
    [[nodiscard]] bool ok() const noexcept { return status_ == run_status::completed; }
    explicit operator bool() const noexcept { return ok(); }

    /// The run's output. Throws state_error when the run did not complete.
    [[nodiscard]] const R& output() const {
        if (!ok() || !output_)
            throw state_error("run " + run_id_ + " has no output: it ended " + std::string(to_string(status_)));
        return *output_;
    }

    /// Why the run did not complete. Throws state_error when it did.
    [[nodiscard]] const error_info& error() const {
        if (ok() || !error_) throw state_error("run " + run_id_ + " completed: it has no error");
        return *error_;
    }

    /// The output, or the run's error thrown (the original exception when still in memory;
    /// canceled_error, timed_out_error or expired_error for those outcomes).
    R unwrap() const {
        if (!ok()) error().rethrow();
        return output();
    }

    [[nodiscard]] run_status status() const noexcept { return status_; }
    [[nodiscard]] const std::string& run_id() const noexcept { return run_id_; }

private:
    std::string run_id_;
    run_status status_;
    std::optional<R> output_;
    std::optional<error_info> error_;
};

/// The outcome of a run of a task that returns nothing.
template <>
class result<void> {
public:
    result(std::string run_id, run_status status, std::optional<error_info> error)
        : run_id_(std::move(run_id)), status_(status), error_(std::move(error)) {}

    [[nodiscard]] bool ok() const noexcept { return status_ == run_status::completed; }
    explicit operator bool() const noexcept { return ok(); }

    [[nodiscard]] const error_info& error() const {
        if (ok() || !error_) throw state_error("run " + run_id_ + " completed: it has no error");
        return *error_;
    }

    /// Returns when the run completed; otherwise throws its error.
    void unwrap() const {
        if (!ok()) error().rethrow();
    }

    [[nodiscard]] run_status status() const noexcept { return status_; }
    [[nodiscard]] const std::string& run_id() const noexcept { return run_id_; }

private:
    std::string run_id_;
    run_status status_;
    std::optional<error_info> error_;
};

}  // namespace taskkit
