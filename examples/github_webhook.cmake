# github_webhook needs taskkit::http (cpp-httplib and OpenSSL); it posts with cpp-httplib's client.
if(TARGET taskkit::http)
  target_link_libraries(${name} PRIVATE taskkit::http PkgConfig::TASKKIT_HTTPLIB)
else()
  set(TASKKIT_EXAMPLE_ENABLED OFF)
endif()
