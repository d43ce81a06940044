# Compiles SOURCE with COMPILER and the flags of FLAGS_FILE, and succeeds only when the
# compilation fails with an error matching the regex of SOURCE's `// expect-error: <regex>` lines
# (a long one continues on the next such line: their texts after "// expect-error: " are joined).
file(STRINGS ${SOURCE} expect_lines REGEX "^// expect-error: ")
if(NOT expect_lines)
  message(FATAL_ERROR "${SOURCE} has no `// expect-error: <regex>` line")
endif()
set(expect "")
foreach(line IN LISTS expect_lines)
  string(REGEX REPLACE "^// expect-error: " "" part "${line}")
  string(APPEND expect "${part}")
endforeach()
execute_process(COMMAND ${COMPILER} @${FLAGS_FILE} ${SOURCE}
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
endif()
if(NOT output MATCHES "${expect}")
  message(FATAL_ERROR "${SOURCE} did not compile, as it must not, but the output lacks the error /${expect}/:\n${output}")
endif()
string(REGEX MATCH "[^\n]*${expect}[^\n]*" line "${output}")
message(STATUS "failed to compile, as it must: ${line}")
