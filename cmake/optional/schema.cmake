# taskkit::schema — the JSON Schema validator and schema tasks (include <taskkit/schema.hpp>,
# <taskkit/schema_task.hpp>; the headers are in include/taskkit/schema/). Needs RE2, which runs
# `pattern` and `patternProperties` in linear time. Defined only when RE2 is found.
#
# taskkit::schema is header-only, like taskkit::taskkit; taskkit::schema_compiled is the same in
# separate compilation (<taskkit/schema/src.hpp> compiled once, on top of taskkit::compiled).
# taskkit::schema defines TASKKIT_SCHEMA_HEADER_ONLY, so that a file in separate compilation that
# links it by mistake fails to compile with a message naming taskkit::schema_compiled.
#
# RE2 ships a CMake package config in recent releases, but older distribution packages
# (Debian 12's libre2-dev, for one) only ship re2.pc, so fall back to pkg-config.
# The headers' folder and the target's name, for taskkit's own header check (tests/headers).
set_property(GLOBAL PROPERTY TASKKIT_FOLDER_TARGET_schema schema)
set(taskkit_schema_re2_target "")
find_package(re2 CONFIG QUIET)
if(TARGET re2::re2)
  set(taskkit_schema_re2_target re2::re2)
  set(taskkit_schema_re2_find "find_package(re2 CONFIG QUIET)")
else()
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(TASKKIT_RE2 QUIET IMPORTED_TARGET GLOBAL re2)
    if(TARGET PkgConfig::TASKKIT_RE2)
      set(taskkit_schema_re2_target PkgConfig::TASKKIT_RE2)
      set(taskkit_schema_re2_find
        "find_package(PkgConfig QUIET)\nif(PkgConfig_FOUND)\n  pkg_check_modules(TASKKIT_RE2 QUIET IMPORTED_TARGET GLOBAL re2)\nendif()")
    endif()
  endif()
endif()

if(NOT taskkit_schema_re2_target)
  message(STATUS "taskkit: RE2 not found; taskkit::schema (JSON Schema validation) is not available")
  return()
endif()
message(STATUS "taskkit: taskkit::schema enabled (RE2 via ${taskkit_schema_re2_target})")

add_library(taskkit_schema INTERFACE)
add_library(taskkit::schema ALIAS taskkit_schema)
set_target_properties(taskkit_schema PROPERTIES EXPORT_NAME schema)
target_link_libraries(taskkit_schema INTERFACE taskkit::taskkit ${taskkit_schema_re2_target})
target_compile_definitions(taskkit_schema INTERFACE TASKKIT_SCHEMA_HEADER_ONLY)
taskkit_define_compiled_library(schema_compiled taskkit/schema/src.hpp taskkit::compiled ${taskkit_schema_re2_target})

if(TASKKIT_INSTALL)
  install(TARGETS taskkit_schema EXPORT taskkitTargets)
endif()
# The installed package config finds RE2 the same way, before taskkitTargets.cmake names it.
string(APPEND TASKKIT_OPTIONAL_DEPENDENCIES "${taskkit_schema_re2_find}\n")
string(APPEND TASKKIT_OPTIONAL_COMPILED
  "if(TARGET taskkit::schema)\n  taskkit_define_compiled_library(schema_compiled taskkit/schema/src.hpp taskkit::compiled ${taskkit_schema_re2_target})\nendif()\n")
