/// @file detail/exception_info.hpp
/// Turning an exception_ptr into an error_info (type name, message, code). Not for users.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <typeinfo>

#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#define TASKKIT_HAS_CXXABI 1
#endif

#include <taskkit/error.hpp>
#include <taskkit/run_record.hpp>

namespace taskkit::detail {

inline std::string demangle(const char* name) {
#ifdef TASKKIT_HAS_CXXABI
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
    if (status == 0 && out) return out.get();
#endif
    return name;
}

/// Describes the exception `e` (which must not be null).
inline error_info describe_exception(std::exception_ptr e) {
    error_info info;
    info.exception = e;
    try {
        std::rethrow_exception(e);
    } catch (const taskkit::error& err) {
        info.type = demangle(typeid(err).name());
        info.message = err.what();
        info.code = err.code();
    } catch (const std::exception& err) {
        info.type = demangle(typeid(err).name());
        info.message = err.what();
    } catch (...) {
        info.type = "unknown";
        info.message = "an exception of unknown type (not derived from std::exception) was thrown";
    }
    return info;
}

/// An error_info for a taskkit error built in place (canceled, timed out, expired…).
template <class Error, class... Args>
error_info make_error_info(Args&&... args) {
    return describe_exception(std::make_exception_ptr(Error(std::forward<Args>(args)...)));
}

}  // namespace taskkit::detail
