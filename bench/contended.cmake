# This benchmark compares against Boost.Asio (header-only).
find_package(Boost 1.66 QUIET CONFIG)
if(TARGET Boost::headers)
  target_link_libraries(${target} PRIVATE Boost::headers Threads::Threads)
else()
  message(STATUS "taskkit: ${target} needs Boost (asio); it is not built by default")
  set(TASKKIT_BENCH_ENABLED OFF)
endif()
# GCC 12 misreports -Wrestrict on std::string concatenation inlined at -O2 (GCC bug 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(${target} PRIVATE -Wno-restrict)
endif()
