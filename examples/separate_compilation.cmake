# Separate compilation: the example's own file and taskkit's definitions, compiled once.
target_sources(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/separate_compilation/taskkit.cpp)
target_compile_definitions(${name} PRIVATE TASKKIT_SEPARATE_COMPILATION)
