# taskkit::sqlite — durable runs in a SQLite database file (include <taskkit/sqlite.hpp>; the
# headers are in include/taskkit/sqlite/). Needs SQLite 3.35 or later (Debian: libsqlite3-dev).
#
# Unlike the header-only integrations, taskkit::sqlite is a static library compiled from
# src/sqlite/*.cpp: SQLite is linked PRIVATE and no header of taskkit's includes sqlite3.h, so a
# user's files never see SQLite's API. It is compiled on top of taskkit::compiled (separate
# compilation) and brings it along: a program that links taskkit::sqlite is in separate
# compilation (TASKKIT_SEPARATE_COMPILATION), with taskkit's definitions compiled once for it.
#
# Its headers need nothing beyond the core to compile, so taskkit's header check (tests/headers)
# compiles them with the core's targets: no TASKKIT_FOLDER_TARGET_sqlite property is set.
find_package(SQLite3 QUIET)
if(NOT TARGET SQLite::SQLite3)
  message(STATUS "taskkit: SQLite3 (libsqlite3-dev) not found; taskkit::sqlite (durable runs) is not available")
  return()
endif()
if(SQLite3_VERSION VERSION_LESS 3.35)
  message(STATUS "taskkit: SQLite ${SQLite3_VERSION} is older than 3.35 (RETURNING); taskkit::sqlite is not available")
  return()
endif()
message(STATUS "taskkit: taskkit::sqlite enabled (SQLite ${SQLite3_VERSION})")

file(GLOB taskkit_sqlite_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/sqlite/*.cpp)
add_library(taskkit_sqlite STATIC ${taskkit_sqlite_sources})
add_library(taskkit::sqlite ALIAS taskkit_sqlite)
set_target_properties(taskkit_sqlite PROPERTIES EXPORT_NAME sqlite POSITION_INDEPENDENT_CODE ON)
# Built when something links it, or when it is to be installed.
if(NOT TASKKIT_INSTALL)
  set_target_properties(taskkit_sqlite PROPERTIES EXCLUDE_FROM_ALL ON)
endif()
target_include_directories(taskkit_sqlite PRIVATE ${PROJECT_SOURCE_DIR}/src)
# taskkit::compiled is defined in the consumer's own build (cmake/taskkit_compiled.cmake), never
# exported: the installed package config links the imported taskkit::sqlite to it once it has
# defined it (TASKKIT_OPTIONAL_COMPILED, below).
target_link_libraries(taskkit_sqlite PUBLIC $<BUILD_INTERFACE:taskkit::compiled> PRIVATE SQLite::SQLite3)
target_compile_features(taskkit_sqlite PUBLIC cxx_std_20)
if(TASKKIT_BUILD_TESTS OR TASKKIT_BUILD_EXAMPLES OR TASKKIT_BUILD_BENCHMARKS)
  # Taskkit's own warnings on its own library (never on users' targets).
  include(${PROJECT_SOURCE_DIR}/cmake/project_warnings.cmake)
  taskkit_project_target(taskkit_sqlite)
endif()

if(TASKKIT_INSTALL)
  install(TARGETS taskkit_sqlite EXPORT taskkitTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
# The installed package config finds SQLite3 before taskkitTargets.cmake names SQLite::SQLite3
# (a static library's private dependencies are part of its link interface).
string(APPEND TASKKIT_OPTIONAL_DEPENDENCIES "find_package(SQLite3 QUIET)\n")
string(APPEND TASKKIT_OPTIONAL_COMPILED
  "if(TARGET taskkit::sqlite)\n  set_property(TARGET taskkit::sqlite APPEND PROPERTY INTERFACE_LINK_LIBRARIES taskkit::compiled)\nendif()\n")
