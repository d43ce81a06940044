# test_conformance: the backend conformance suite, over the memory backend and, when the build has
# taskkit::sqlite (SQLite3), over the SQLite backend too (a fresh database file per runtime).
if(TARGET taskkit::sqlite)
  target_link_libraries(${target} PRIVATE taskkit::sqlite)
  target_compile_definitions(${target} PRIVATE TASKKIT_CONFORMANCE_SQLITE)
endif()
# The suite's own header (its backends), beside the shared ones, in the area's precompiled header.
set(TASKKIT_AREA_PRECOMPILE ${CMAKE_CURRENT_SOURCE_DIR}/conformance/conformance.hpp)
