# test_sqlite: the SQLite store under the SQLite backend (a real database file per test, in a
# temporary folder). Needs taskkit::sqlite (SQLite3); without it the area is switched off. The tests
# reach the store's internals (src/sqlite), which no user includes.
if(NOT TARGET taskkit::sqlite)
  set(TASKKIT_AREA_ENABLED OFF)
  return()
endif()
target_link_libraries(${target} PRIVATE taskkit::sqlite)
target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
# The store's internals, beside the shared headers, in the area's precompiled header.
set(TASKKIT_AREA_PRECOMPILE ${CMAKE_CURRENT_SOURCE_DIR}/sqlite/sqlite_test_support.hpp)

# The process the crash tests start and kill (tests/sqlite/helpers/crash_child.cpp).
add_executable(test_sqlite_crash_child ${CMAKE_CURRENT_SOURCE_DIR}/sqlite/helpers/crash_child.cpp)
target_link_libraries(test_sqlite_crash_child PRIVATE taskkit::sqlite)
taskkit_project_target(test_sqlite_crash_child)
add_dependencies(${target} test_sqlite_crash_child)
target_compile_definitions(${target} PRIVATE "TASKKIT_SQLITE_CRASH_CHILD=\"$<TARGET_FILE:test_sqlite_crash_child>\"")

# The worker processes of the crash test at scale (tests/sqlite/helpers/worker_child.cpp).
add_executable(test_sqlite_worker_child ${CMAKE_CURRENT_SOURCE_DIR}/sqlite/helpers/worker_child.cpp)
target_link_libraries(test_sqlite_worker_child PRIVATE taskkit::sqlite)
taskkit_project_target(test_sqlite_worker_child)
add_dependencies(${target} test_sqlite_worker_child)
target_compile_definitions(${target} PRIVATE "TASKKIT_SQLITE_WORKER_CHILD=\"$<TARGET_FILE:test_sqlite_worker_child>\"")

# The processes of the scheduled-task test (tests/sqlite/helpers/schedule_child.cpp), which needs
# the schedule integration (taskkit::cron_compiled, date/tz): without it that test is left out.
if(TARGET taskkit::cron_compiled)
  add_executable(test_sqlite_schedule_child ${CMAKE_CURRENT_SOURCE_DIR}/sqlite/helpers/schedule_child.cpp)
  target_link_libraries(test_sqlite_schedule_child PRIVATE taskkit::sqlite taskkit::cron_compiled)
  taskkit_project_target(test_sqlite_schedule_child)
  add_dependencies(${target} test_sqlite_schedule_child)
  target_compile_definitions(${target}
    PRIVATE "TASKKIT_SQLITE_SCHEDULE_CHILD=\"$<TARGET_FILE:test_sqlite_schedule_child>\"")
endif()

# The crash test at scale (tests/sqlite/crash_scale_test.cpp, hidden from the discovery of the
# area's cases) runs as a test of its own: under ThreadSanitizer on two cores it takes most of two
# minutes, the suite's timeout per case, so it has a longer one, above its own deadline for the work.
add_test(NAME "sqlite: 10,000 runs on one file, failing and retried by plan, end once each while their worker processes are killed and replaced"
         COMMAND ${target} "[sqlite-crash-scale]")
set_tests_properties("sqlite: 10,000 runs on one file, failing and retried by plan, end once each while their worker processes are killed and replaced"
                     PROPERTIES TIMEOUT 300 LABELS sqlite)
