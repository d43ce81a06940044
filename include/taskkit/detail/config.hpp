/// @file detail/config.hpp
/// How taskkit's non-template functions are compiled. Not for users to include.
///
/// Header-only (the default): every header includes the definitions of its functions (its
/// `.ipp` file), marked `inline`, so including a header is all a program needs.
///
/// Separate compilation: define `TASKKIT_SEPARATE_COMPILATION` for the whole program (every
/// translation unit) and include `<taskkit/src.hpp>` in exactly one source file. Headers then
/// declare their functions without defining them, so a translation unit that includes
/// `<taskkit/taskkit.hpp>` compiles about as fast as one that includes nlohmann/json and fmt
/// alone; the definitions are compiled once, in the file that includes `<taskkit/src.hpp>`.
/// Templates (task<P, R>, run_handle<R>, ...) stay in the headers in both modes.
///
/// TASKKIT_DECL marks the definitions in `.ipp` files, and the in-class declarations of virtual
/// functions defined there: a virtual function that is not inline where its class is defined
/// would become the class's key function, and every translation unit would then emit the
/// vtable and all the code it reaches.
#pragma once

#if defined(TASKKIT_SEPARATE_COMPILATION)
#define TASKKIT_DECL
#else
#define TASKKIT_DECL inline
#endif
