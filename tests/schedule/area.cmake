# The scheduled-task tests need taskkit::cron (date/tz); without it the area is switched off.
if(TARGET taskkit::cron)
  target_link_libraries(${target} PRIVATE taskkit::cron_compiled)
else()
  set(TASKKIT_AREA_ENABLED OFF)
endif()
