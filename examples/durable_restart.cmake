# Durable runs need taskkit::sqlite (SQLite3); without it the example is not built.
if(TARGET taskkit::sqlite)
  target_link_libraries(${name} PRIVATE taskkit::sqlite)
else()
  set(TASKKIT_EXAMPLE_ENABLED OFF)
endif()
