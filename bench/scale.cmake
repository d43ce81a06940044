# bench_scale needs only taskkit.
# GCC 12 misreports -Wrestrict on std::string concatenation inlined at -O2 (GCC bug 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(${target} PRIVATE -Wno-restrict)
endif()
