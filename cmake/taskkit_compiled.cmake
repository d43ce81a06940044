# taskkit::compiled — taskkit in separate compilation, as one line of CMake:
#   target_link_libraries(app PRIVATE taskkit::compiled)
# It is a static library built in the consumer's own build, with the consumer's compiler and flags
# (sanitizers included), from one source file that includes <taskkit/src.hpp>; it carries
# TASKKIT_SEPARATE_COMPILATION as a PUBLIC definition, so every file that links it, directly or
# through another library, declares taskkit's functions and the whole program shares one copy of
# their definitions. EXCLUDE_FROM_ALL: it is compiled only when something links it.
#
# The optional integrations have theirs, built the same way from their folder's src.hpp on top of
# taskkit::compiled: taskkit::cron_compiled (<taskkit/schedule/src.hpp>, with date/tz) and
# taskkit::schema_compiled (<taskkit/schema/src.hpp>, with RE2). A program in separate compilation
# that uses one links it instead of (or beside) taskkit::compiled:
#   target_link_libraries(app PRIVATE taskkit::compiled taskkit::cron_compiled)
#
# Shared by taskkit's own CMakeLists.txt (add_subdirectory, FetchContent) and its installed package
# config (find_package), which both call these functions once taskkit::taskkit exists.

# taskkit::<name>: a static library of the definitions that <header> includes, linking <links>
# PUBLIC (taskkit::taskkit for the core, taskkit::compiled and the integration's library for an
# integration).
function(taskkit_define_compiled_library name header)
  if(TARGET taskkit::${name})
    return()
  endif()
  set(source ${CMAKE_CURRENT_BINARY_DIR}/taskkit_compiled/${name}.cpp)
  file(CONFIGURE OUTPUT ${source}
    CONTENT "// taskkit's definitions, compiled once for the program (taskkit::${name}).\n#include <${header}>\n")
  add_library(taskkit_${name} STATIC EXCLUDE_FROM_ALL ${source})
  add_library(taskkit::${name} ALIAS taskkit_${name})
  target_link_libraries(taskkit_${name} PUBLIC ${ARGN})
  target_compile_definitions(taskkit_${name} PUBLIC TASKKIT_SEPARATE_COMPILATION)
  # Position-independent, so that it links into a shared library as well as into a program.
  set_target_properties(taskkit_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

function(taskkit_define_compiled_target)
  taskkit_define_compiled_library(compiled taskkit/src.hpp taskkit::taskkit)
endfunction()
