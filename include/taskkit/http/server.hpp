/// @file http/server.hpp
/// taskkit::http::server: the REST API, server-sent events of status changes, Prometheus metrics,
/// webhook tasks and the dashboard, served beside a runtime on threads of their own.
/// Part of the optional HTTP integration: link the CMake target `taskkit::http`.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <taskkit/fwd.hpp>
#include <taskkit/http/server_options.hpp>

namespace taskkit::http {

namespace detail {
class server_state;
}  // namespace detail

/// Who may call a route.
enum class route_access {
    token,    ///< the bearer token (or the dashboard's cookie)
    stream,   ///< the token, the cookie, or `?token=` in the URL (EventSource cannot send headers)
    metrics,  ///< open, unless server_options::metrics_auth asks for the token
    open,     ///< anyone (the API description)
};

/// One route the server answers: the table the router dispatches on, and which
/// GET /api/v1/openapi.json describes (a test checks that each one is in the document).
struct route_info {
    std::string_view method;   ///< "GET", "POST", "DELETE"
    std::string_view path;     ///< a template: "/api/v1/runs/{id}"; "/assets/{path}" matches the rest of the path
    std::string_view summary;  ///< one line, as in the API description
    route_access access = route_access::token;
};

/// An HTTP server over one runtime.
/// @code
/// taskkit::runtime rt;
/// taskkit::http::server srv(rt, {.host = "127.0.0.1", .port = 8080, .token = token});
/// srv.start();                       // serves on its own threads
/// fmt::print("http://127.0.0.1:{}/?token={}\n", srv.port(), token);
/// // ... srv.stop(), or the destructor, ends it (open event streams end at once)
/// @endcode
/// The runtime must outlive the server. Every request is answered on the server's threads; a
/// handler that throws is answered 500 with the error shape, never with a crash.
class server {
public:
    /// Checks the options (options_error for an empty token while auth is on, …); does not listen yet.
    server(runtime& rt, server_options options = {});
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    /// Stops the server (see stop()).
    ~server();

    /// Binds and starts serving on the server's threads; returns once the port is bound. Throws
    /// options_error when the address cannot be bound or the TLS files cannot be read, and
    /// state_error when it is already started.
    void start();

    /// Ends open event streams, stops accepting, and joins the server's threads once the requests
    /// under way are answered. Idempotent; a stopped server does not start again.
    void stop();

    /// The bound port (the one chosen when options.port was 0); 0 before start().
    [[nodiscard]] int port() const noexcept;

    /// Whether start() succeeded and stop() has not been called.
    [[nodiscard]] bool running() const noexcept;

    /// "http://host:port" (or https), once started.
    [[nodiscard]] std::string url() const;

    /// The routes the server answers, in the order the router tries them.
    [[nodiscard]] static std::span<const route_info> routes() noexcept;

private:
    std::unique_ptr<detail::server_state> state_;
};

}  // namespace taskkit::http
