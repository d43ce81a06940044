# fuzz_cron needs taskkit::cron (date/tz).
if(TARGET taskkit::cron)
  target_link_libraries(${target} PRIVATE taskkit::cron)
else()
  set(TASKKIT_FUZZER_ENABLED OFF)
endif()
