/// @file webhook_task.hpp
/// taskkit::webhook_task, a task run by a signed HTTP request: an entry header of the HTTP
/// integration (taskkit/http/), with the verifiers (taskkit/http/signature.hpp) and
/// taskkit::http::deliver_webhook.
///
/// An optional integration: link `taskkit::http` (cpp-httplib and OpenSSL, compiled into it); the
/// umbrella header `taskkit.hpp` does not include it. See docs/webhooks.md.
#pragma once

#include <taskkit/http/signature.hpp>
#include <taskkit/http/webhook_delivery.hpp>
#include <taskkit/http/webhook_task.hpp>
#include <taskkit/runtime.hpp>  // an entry header: a one-file program needs nothing else
