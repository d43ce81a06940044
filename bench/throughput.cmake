# bench_throughput compares against Boost.Asio (header-only) and oneTBB.
find_package(Boost 1.66 QUIET CONFIG)
find_package(TBB QUIET CONFIG)
if(TARGET Boost::headers AND TARGET TBB::tbb)
  target_link_libraries(${target} PRIVATE Boost::headers TBB::tbb Threads::Threads)
else()
  message(STATUS "taskkit: ${target} needs Boost (asio) and oneTBB; it is not built by default")
  set(TASKKIT_BENCH_ENABLED OFF)
endif()
# GCC 12 misreports -Wrestrict on std::string concatenation inlined at -O2 (GCC bug 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(${target} PRIVATE -Wno-restrict)
endif()
