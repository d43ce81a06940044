# test_sqlite: the SQLite store under the SQLite backend (a real database file per test, in a
# temporary folder). Needs taskkit::sqlite (SQLite3); without it the area is switched off. The tests
# reach the store's internals (src/sqlite), which no user includes.
if(NOT TARGET taskkit::sqlite)
  set(TASKKIT_AREA_ENABLED OFF)
  return()
endif()
target_link_libraries(${target} PRIVATE taskkit::sqlite)
target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
