/// @file detail/impl/exception_info.ipp
/// The definitions of what <taskkit/detail/exception_info.hpp> declares: included by that header (header-only, the
/// default), or compiled once through <taskkit/src.hpp> (TASKKIT_SEPARATE_COMPILATION).
#pragma once

#include <taskkit/detail/exception_info.hpp>

#include <cstdlib>

#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#define TASKKIT_HAS_CXXABI 1
#endif

namespace taskkit::detail {

TASKKIT_DECL std::string demangle(const char* name) {
#ifdef TASKKIT_HAS_CXXABI
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
    if (status == 0 && out) return out.get();
#endif
    return name;
}

TASKKIT_DECL error_info describe_exception(std::exception_ptr e) {
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

}  // namespace taskkit::detail
