# Scheduled tasks need taskkit::cron (date/tz); without it the example is not built.
if(TARGET taskkit::cron)
  target_link_libraries(${name} PRIVATE taskkit::cron_compiled)
else()
  set(TASKKIT_EXAMPLE_ENABLED OFF)
endif()
