# taskkit::compiled — taskkit in separate compilation, as one line of CMake:
#   target_link_libraries(app PRIVATE taskkit::compiled)
# It is a static library built in the consumer's own build, with the consumer's compiler and flags
# (sanitizers included), from one source file that includes <taskkit/src.hpp>; it carries
# TASKKIT_SEPARATE_COMPILATION as a PUBLIC definition, so every file that links it, directly or
# through another library, declares taskkit's functions and the whole program shares one copy of
# their definitions. EXCLUDE_FROM_ALL: it is compiled only when something links it.
#
# Shared by taskkit's own CMakeLists.txt (add_subdirectory, FetchContent) and its installed package
# config (find_package), which both call taskkit_define_compiled_target() once taskkit::taskkit exists.
function(taskkit_define_compiled_target)
  if(TARGET taskkit::compiled)
    return()
  endif()
  set(source ${CMAKE_CURRENT_BINARY_DIR}/taskkit_compiled/taskkit.cpp)
  file(CONFIGURE OUTPUT ${source}
    CONTENT "// taskkit's definitions, compiled once for the program (taskkit::compiled).\n#include <taskkit/src.hpp>\n")
  add_library(taskkit_compiled STATIC EXCLUDE_FROM_ALL ${source})
  add_library(taskkit::compiled ALIAS taskkit_compiled)
  target_link_libraries(taskkit_compiled PUBLIC taskkit::taskkit)
  target_compile_definitions(taskkit_compiled PUBLIC TASKKIT_SEPARATE_COMPILATION)
  # Position-independent, so that it links into a shared library as well as into a program.
  set_target_properties(taskkit_compiled PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
