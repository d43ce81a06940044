# The program's second file, the task file (built header-only, as the list in CMakeLists.txt says).
target_sources(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/task_files/signup_tasks.cpp)
