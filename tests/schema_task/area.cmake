# test_schema_task: tasks whose payloads are checked against a JSON Schema (taskkit/schema_task.hpp).
if(NOT TARGET taskkit::schema)
  message(STATUS "taskkit: tests/schema_task skipped (taskkit::schema needs RE2)")
  set(TASKKIT_AREA_ENABLED OFF)
  return()
endif()
target_link_libraries(${target} PRIVATE taskkit::schema_compiled)
