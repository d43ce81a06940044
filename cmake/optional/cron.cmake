# taskkit::cron — cron expressions with IANA time zones (include <taskkit/cron.hpp>).
# Needs Howard Hinnant's date/tz: its compiled date::date-tz reads the system's zoneinfo and
# carries USE_OS_TZDB=1 (and date::date's HAS_STRING_VIEW=1) as usage requirements.
find_package(date QUIET)
if(TARGET date::date-tz)
  add_library(taskkit_cron INTERFACE)
  add_library(taskkit::cron ALIAS taskkit_cron)
  set_target_properties(taskkit_cron PROPERTIES EXPORT_NAME cron)
  target_link_libraries(taskkit_cron INTERFACE taskkit::taskkit date::date-tz)
  if(TASKKIT_INSTALL)
    install(TARGETS taskkit_cron EXPORT taskkitTargets)
  endif()
  string(APPEND TASKKIT_OPTIONAL_DEPENDENCIES "find_package(date QUIET)\n")
else()
  message(STATUS "taskkit: date/tz (libhowardhinnant-date-dev) not found; taskkit::cron is not available")
endif()
