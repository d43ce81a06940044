/// @file detail/exception_info.hpp
/// Turning an exception_ptr into an error_info (type name, message, code). Not for users.
#pragma once

#include <taskkit/detail/config.hpp>

#include <exception>
#include <memory>
#include <string>
#include <typeinfo>

#include <taskkit/error.hpp>
#include <taskkit/run_record.hpp>

namespace taskkit::detail {

std::string demangle(const char* name);

/// Describes the exception `e` (which must not be null).
error_info describe_exception(std::exception_ptr e);

/// An error_info for a taskkit error built in place (canceled, timed out, expired…).
template <class Error, class... Args>
error_info make_error_info(Args&&... args) {
    return describe_exception(std::make_exception_ptr(Error(std::forward<Args>(args)...)));
}

}  // namespace taskkit::detail

#if !defined(TASKKIT_SEPARATE_COMPILATION)
#include <taskkit/detail/impl/exception_info.ipp>
#endif
