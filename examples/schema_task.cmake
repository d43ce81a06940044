# schema_task needs taskkit::schema (RE2).
if(TARGET taskkit::schema)
  target_link_libraries(${name} PRIVATE taskkit::schema_compiled)
else()
  set(TASKKIT_EXAMPLE_ENABLED OFF)
endif()
