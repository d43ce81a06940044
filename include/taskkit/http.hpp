/// @file http.hpp
/// taskkit's HTTP integration: the server (REST API, event streams, metrics, dashboard) and the
/// webhook delivery it routes to webhook tasks. Link the CMake target `taskkit::http` (cpp-httplib
/// and OpenSSL are compiled into it; no taskkit header includes theirs).
/// @code
/// #include <taskkit/http.hpp>
/// taskkit::http::server srv(rt, {.port = 8080, .token = token});
/// srv.start();
/// @endcode
#pragma once

#include <taskkit/runtime.hpp>

#include <taskkit/http/http_error.hpp>
#include <taskkit/http/server.hpp>
#include <taskkit/http/server_options.hpp>
#include <taskkit/http/webhook_delivery.hpp>
