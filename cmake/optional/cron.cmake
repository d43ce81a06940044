# taskkit::cron — cron expressions with IANA time zones and scheduled tasks (include
# <taskkit/cron.hpp>, <taskkit/schedule.hpp>; the headers are in include/taskkit/schedule/).
# Needs Howard Hinnant's date/tz: its compiled date::date-tz reads the system's zoneinfo and
# carries USE_OS_TZDB=1 (and date::date's HAS_STRING_VIEW=1) as usage requirements.
#
# taskkit::cron is header-only, like taskkit::taskkit; taskkit::cron_compiled is the same in
# separate compilation (<taskkit/schedule/src.hpp> compiled once, on top of taskkit::compiled).
# taskkit::cron defines TASKKIT_CRON_HEADER_ONLY, so that a file in separate compilation that links
# it by mistake fails to compile with a message naming taskkit::cron_compiled.
# The headers' folder and the target's name, for taskkit's own header check (tests/headers).
set_property(GLOBAL PROPERTY TASKKIT_FOLDER_TARGET_schedule cron)
find_package(date QUIET)
if(TARGET date::date-tz)
  add_library(taskkit_cron INTERFACE)
  add_library(taskkit::cron ALIAS taskkit_cron)
  set_target_properties(taskkit_cron PROPERTIES EXPORT_NAME cron)
  target_link_libraries(taskkit_cron INTERFACE taskkit::taskkit date::date-tz)
  target_compile_definitions(taskkit_cron INTERFACE TASKKIT_CRON_HEADER_ONLY)
  taskkit_define_compiled_library(cron_compiled taskkit/schedule/src.hpp taskkit::compiled date::date-tz)
  if(TASKKIT_INSTALL)
    install(TARGETS taskkit_cron EXPORT taskkitTargets)
  endif()
  string(APPEND TASKKIT_OPTIONAL_DEPENDENCIES "find_package(date QUIET)\n")
  string(APPEND TASKKIT_OPTIONAL_COMPILED
    "if(TARGET taskkit::cron)\n  taskkit_define_compiled_library(cron_compiled taskkit/schedule/src.hpp taskkit::compiled date::date-tz)\nendif()\n")
else()
  message(STATUS "taskkit: date/tz (libhowardhinnant-date-dev) not found; taskkit::cron is not available")
endif()
