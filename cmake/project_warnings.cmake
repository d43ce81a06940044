# Warnings for taskkit's own targets (tests, examples, benchmarks) — never forced on users.
function(taskkit_project_target target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wno-missing-field-initializers)
  endif()
  target_compile_features(${target} PRIVATE cxx_std_20)
endfunction()
