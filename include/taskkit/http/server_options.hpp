/// @file http/server_options.hpp
/// The options of taskkit::http::server: where it listens, its token, TLS and its limits.
/// Part of the optional HTTP integration: link the CMake target `taskkit::http`.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace taskkit::http {

/// A certificate and its private key, both PEM files, for serving HTTPS.
struct tls_options {
    std::string cert_file;  ///< the certificate (chain) in PEM
    std::string key_file;   ///< its private key in PEM, unencrypted
};

/// Options of `taskkit::http::server`.
/// @code
/// taskkit::http::server srv(rt, {.port = 8080, .token = std::getenv("TASKKIT_TOKEN")});
/// taskkit::http::server tls(rt, {.port = 8443, .token = token, .tls = {{.cert_file = "cert.pem", .key_file =
/// "key.pem"}}});
/// @endcode
struct server_options {
    /// The address to listen on: loopback by default. "0.0.0.0" listens on every interface (put it
    /// behind TLS, or a proxy that terminates TLS, before doing so).
    std::string host = "127.0.0.1";
    /// The port; 0 picks a free one (server::port() tells which).
    int port = 8080;
    /// The bearer token every API and dashboard request must carry (`Authorization: Bearer <token>`),
    /// compared in constant time. Required while `auth` is on.
    std::string token;
    /// False turns authentication off for every route: only for a server nobody else can reach.
    bool auth = true;
    /// Whether GET /metrics needs the token too (by default a scraper reads it without one).
    bool metrics_auth = false;
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    std::optional<tls_options> tls;

    /// Largest request body accepted (413 above it).
    std::size_t max_body_bytes = std::size_t{1} << 20;
    /// Largest total size of a request's header lines (431 above it). cpp-httplib also refuses a
    /// single header line longer than 8 KiB, with a 400.
    std::size_t max_header_bytes = 16 * 1024;
    /// Threads serving requests. Each open event stream holds one of them.
    std::size_t threads = 8;
    /// Event streams (GET /api/v1/runs/stream) open at once; more are answered 503. At most
    /// `threads - 1`, so that one thread always serves other requests.
    std::size_t max_streams = 4;
    /// Status changes kept for event streams to resume from (Last-Event-ID).
    std::size_t event_buffer = 4096;
    /// How often an idle event stream sends a heartbeat comment.
    std::chrono::milliseconds heartbeat_interval{15000};
    /// How long an idle keep-alive connection stays open; stop() waits for idle connections up to
    /// this long.
    std::chrono::seconds keep_alive_timeout{2};
    /// How long the server waits for a client to send a request's next bytes.
    std::chrono::seconds read_timeout{5};
    /// Most runs one bulk cancel or replay acts on (the answer says when more matched).
    std::size_t bulk_limit = 10000;

    /// Throws options_error when a field is out of range (an empty token while auth is on, no
    /// threads, a port outside 0–65535, a TLS option without both files…).
    void validate() const;
};

}  // namespace taskkit::http
