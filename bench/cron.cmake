# bench_cron needs taskkit::cron (date/tz).
if(TARGET taskkit::cron)
  target_link_libraries(${target} PRIVATE taskkit::cron)
else()
  set(TASKKIT_BENCH_ENABLED OFF)
endif()
