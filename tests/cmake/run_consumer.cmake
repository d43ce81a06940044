# Builds and runs tests/cmake/consumer against taskkit integrated in MODE.
set(integrations_arg "${EXPECT_INTEGRATIONS}")  # a list passed with "," (a ";" would split the argument)
string(REPLACE "," ";" EXPECT_INTEGRATIONS "${EXPECT_INTEGRATIONS}")
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

# Unoptimized and without debug information: the test is about integrating, not about the code
# (three of these run at once, each building taskkit's compiled parts; at -O2 they took 6-10 min
# on two cores).
set(common -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0")
if(CXX_LAUNCHER)
  list(APPEND common -DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_LAUNCHER})
endif()

set(consumer_args -DTASKKIT_MODE=${MODE} -DTASKKIT_SOURCE_DIR=${TASKKIT_SOURCE_DIR} -DEXPECT_INTEGRATIONS=${integrations_arg})
if(MODE STREQUAL "find_package")
  # Install taskkit into a private prefix first, as a package manager would: from the build tree
  # that runs this test (INSTALL_FROM, built before its tests run), or else from a build of its own.
  # The installed files are the same either way; building them again took a third of the time of
  # the three consumption tests.
  if(INSTALL_FROM)
    run_step(${CMAKE_COMMAND} --install ${INSTALL_FROM} --prefix ${WORK_DIR}/prefix)
  else()
    run_step(${CMAKE_COMMAND} ${common} -S ${TASKKIT_SOURCE_DIR} -B ${WORK_DIR}/taskkit-build
      -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix -DTASKKIT_BUILD_TESTS=OFF -DTASKKIT_BUILD_EXAMPLES=OFF
      -DTASKKIT_BUILD_BENCHMARKS=OFF -DTASKKIT_CHECK_HEADERS=OFF)
    run_step(${CMAKE_COMMAND} --build ${WORK_DIR}/taskkit-build --target install)
  endif()
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
endif()
run_step(${CMAKE_COMMAND} ${common} ${consumer_args} -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer-build)
run_step(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build)
run_step(${WORK_DIR}/consumer-build/consumer)
run_step(${WORK_DIR}/consumer-build/consumer_compiled)
foreach(integration IN LISTS EXPECT_INTEGRATIONS)
  run_step(${WORK_DIR}/consumer-build/consumer_${integration})
  run_step(${WORK_DIR}/consumer-build/consumer_${integration}_compiled)
endforeach()
