# Runs a documentation program (-DPROGRAM=<path>) for at most -DTIMEOUT=<seconds>, and checks both
# that it exits with 0 and that its output (stdout and stderr together) matches -DEXPECT=<regex>.
# CTest's PASS_REGULAR_EXPRESSION alone would ignore the exit code, so a program that printed the
# right line and then crashed would pass.
execute_process(COMMAND ${PROGRAM} RESULT_VARIABLE rc OUTPUT_VARIABLE output ERROR_VARIABLE output
  TIMEOUT ${TIMEOUT})
message("${output}")
if(NOT rc STREQUAL "0")
  message(FATAL_ERROR "the program exited with ${rc}")
endif()
if(NOT output MATCHES "${EXPECT}")
  message(FATAL_ERROR "the output does not match the expected regular expression: ${EXPECT}")
endif()
