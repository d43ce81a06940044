# test_http: the HTTP server on loopback (port 0), driven by cpp-httplib's client, and the webhook
# verification. Needs taskkit::http (cpp-httplib and OpenSSL); without it the area is switched off.
# The tests link cpp-httplib for their client and OpenSSL to make a TLS certificate, and reach the
# server's internals (src/http: the route table), which no user includes.
if(NOT TARGET taskkit::http)
  set(TASKKIT_AREA_ENABLED OFF)
  return()
endif()
target_link_libraries(${target} PRIVATE taskkit::http PkgConfig::TASKKIT_HTTPLIB OpenSSL::SSL OpenSSL::Crypto)
target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
if(TARGET taskkit::schema_compiled)
  target_link_libraries(${target} PRIVATE taskkit::schema_compiled)
  target_compile_definitions(${target} PRIVATE TASKKIT_HTTP_TEST_SCHEMA=1)
endif()
if(TARGET taskkit::cron_compiled)
  target_link_libraries(${target} PRIVATE taskkit::cron_compiled)
  target_compile_definitions(${target} PRIVATE TASKKIT_HTTP_TEST_SCHEDULES=1)
endif()
# cpp-httplib and OpenSSL's headers, beside the shared ones, in the area's precompiled header.
set(TASKKIT_AREA_PRECOMPILE ${CMAKE_CURRENT_SOURCE_DIR}/http/http_test_support.hpp)
