# bench_http: triggers per second through the HTTP API, and the latency of POST /trigger, on
# loopback (a bounded loop of its own, no Google Benchmark). Needs taskkit::http (which brings
# taskkit::compiled: this program is in separate compilation) and cpp-httplib's client.
if(NOT TARGET taskkit::http)
  message(STATUS "taskkit: taskkit::http is not available here; bench_http is not built by default")
  set(TASKKIT_BENCH_ENABLED OFF)
  return()
endif()
target_link_libraries(${target} PRIVATE taskkit::http PkgConfig::TASKKIT_HTTPLIB)
