# The compiler launcher of the header checks (tests/headers/CMakeLists.txt): runs the compile the
# build hands it with -fsyntax-only in place of -c, then creates the object file it was asked for,
# empty, so that the build sees the check done and runs it again only when a header changes. The
# check is about the headers' text; generating their code took about half of each file's time.
#
#   cmake -P syntax_only.cmake -- <compiler> <arguments…>
#
# (After `--` CMake leaves the arguments unparsed: a `-D` of the compile would be its own otherwise.)
set(command "")
set(object "")
set(next_is_object FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
set(after_separator FALSE)
foreach(i RANGE 1 ${last})
  set(arg "${CMAKE_ARGV${i}}")
  if(NOT after_separator)
    if(arg STREQUAL "--")
      set(after_separator TRUE)
    endif()
  elseif(next_is_object)
    set(object "${arg}")
    set(next_is_object FALSE)
  elseif(arg STREQUAL "-o")
    set(next_is_object TRUE)
  elseif(arg STREQUAL "-c")
    list(APPEND command -fsyntax-only)
  else()
    list(APPEND command "${arg}")
  endif()
endforeach()
if(NOT command OR NOT object)
  message(FATAL_ERROR "syntax_only.cmake: expected a compile command with -c and -o")
endif()
execute_process(COMMAND ${command} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "header check failed (${rc})")
endif()
file(TOUCH "${object}")
