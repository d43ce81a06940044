# bench_sqlite measures taskkit::sqlite (which brings taskkit::compiled: this program is in separate
# compilation) beside the memory backend; bench/CMakeLists.txt skips it when the target is missing.
target_link_libraries(${target} PRIVATE taskkit::sqlite)
