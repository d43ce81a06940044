# test_conformance: the backend conformance suite, over the memory backend and, when the build has
# taskkit::sqlite (SQLite3), over the SQLite backend too (a fresh database file per runtime).
if(TARGET taskkit::sqlite)
  target_link_libraries(${target} PRIVATE taskkit::sqlite)
  target_compile_definitions(${target} PRIVATE TASKKIT_CONFORMANCE_SQLITE)
endif()
