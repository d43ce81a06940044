# test_schema: the JSON Schema validator, including the official JSON-Schema-Test-Suite (draft-07).
if(NOT TARGET taskkit::schema)
  message(STATUS "taskkit: tests/schema skipped (taskkit::schema needs RE2)")
  set(TASKKIT_AREA_ENABLED OFF)
  return()
endif()
target_link_libraries(${target} PRIVATE taskkit::schema_compiled)

# The official suite's draft-07 tests (packaged by some distributions as json-schema-test-suite;
# otherwise pass -DTASKKIT_JSON_SCHEMA_TEST_SUITE_DIR=<checkout>/tests/draft7).
set(taskkit_suite_candidates "")
foreach(prefix IN LISTS CMAKE_PREFIX_PATH CMAKE_SYSTEM_PREFIX_PATH)
  list(APPEND taskkit_suite_candidates ${prefix}/share/json-schema-test-suite)
endforeach()
find_path(TASKKIT_JSON_SCHEMA_TEST_SUITE_DIR
  NAMES type.json ref.json
  PATHS ${taskkit_suite_candidates}
  PATH_SUFFIXES tests/draft7
  DOC "The draft7 folder of the official JSON-Schema-Test-Suite")
if(TASKKIT_JSON_SCHEMA_TEST_SUITE_DIR)
  target_compile_definitions(${target} PRIVATE
    TASKKIT_JSON_SCHEMA_TEST_SUITE_DIR="${TASKKIT_JSON_SCHEMA_TEST_SUITE_DIR}")
else()
  message(STATUS "taskkit: JSON-Schema-Test-Suite not found (set TASKKIT_JSON_SCHEMA_TEST_SUITE_DIR); "
    "the draft-07 conformance test is skipped")
endif()
