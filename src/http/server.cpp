// taskkit::http::server: its lifecycle, the dispatch of every request (limits, routing, auth,
// errors), and the webhook and dashboard paths.
#include <taskkit/http/server.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include <taskkit/error.hpp>
#include <taskkit/http/webhook_delivery.hpp>

#include "http/codec.hpp"
#include "http/server_state.hpp"

namespace taskkit::http {

void server_options::validate() const {
    if (auth && token.empty())
        throw options_error(
            "server_options: token is empty while auth is on; set a token (e.g. from an environment variable), or "
            "set .auth = false explicitly for a server nobody else can reach");
    if (port < 0 || port > 65535) throw options_error(fmt::format("server_options: port {} is not 0–65535", port));
    if (host.empty()) throw options_error("server_options: host is empty (\"127.0.0.1\" listens on loopback)");
    if (threads < 2) throw options_error("server_options: threads must be at least 2");
    if (max_streams >= threads)
        throw options_error(
            fmt::format("server_options: max_streams ({}) must be below threads ({}), so that a thread "
                        "is always left for other requests",
                        max_streams, threads));
    if (max_body_bytes == 0) throw options_error("server_options: max_body_bytes must be positive");
    if (max_header_bytes < 256) throw options_error("server_options: max_header_bytes must be at least 256");
    if (event_buffer == 0) throw options_error("server_options: event_buffer must be positive");
    if (heartbeat_interval <= std::chrono::milliseconds(0))
        throw options_error("server_options: heartbeat_interval must be positive");
    if (keep_alive_timeout < std::chrono::seconds(1))
        throw options_error("server_options: keep_alive_timeout must be at least 1 s");
    if (read_timeout < std::chrono::seconds(1))
        throw options_error("server_options: read_timeout must be at least 1 s");
    if (bulk_limit == 0) throw options_error("server_options: bulk_limit must be positive");
    if (tls && (tls->cert_file.empty() || tls->key_file.empty()))
        throw options_error("server_options: tls needs both cert_file and key_file");
}

namespace detail {

// ------------------------------------------------------------------ helpers

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void reserve_event_stream(server_state& s) {
    if (s.open_streams.fetch_add(1) >= s.options.max_streams) {
        --s.open_streams;
        throw http_error(503, "too_many_streams",
                         fmt::format("{} event streams are open, the most this server allows", s.options.max_streams));
    }
}

nlohmann::json parse_body(const httplib::Request& req, nlohmann::json fallback) {
    if (req.body.empty()) return fallback;
    nlohmann::json body;
    try {
        body = nlohmann::json::parse(req.body);
    } catch (const nlohmann::json::parse_error& e) {
        nlohmann::json details(nlohmann::json::value_t::object);
        details["byte"] = e.byte;
        throw http_error(400, "bad_json", fmt::format("the body is not valid JSON (at byte {})", e.byte), details);
    }
    // Deeper than any payload may be (the payload sits one level down): refuse before anything
    // copies it (copies recurse).
    std::string where;
    if (taskkit::detail::json_depth_exceeds(body, max_payload_depth + 2, &where)) {
        nlohmann::json details = nlohmann::json::array();
        nlohmann::json one(nlohmann::json::value_t::object);
        one["path"] = where;
        one["message"] = fmt::format("nests deeper than {} levels", max_payload_depth);
        details.push_back(std::move(one));
        throw http_error(400, "validation_failed",
                         fmt::format("the body nests deeper than {} levels at {}", max_payload_depth, where), details);
    }
    return body;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    // Digests of both: the comparison then takes the same time whatever the lengths and contents.
    unsigned char da[EVP_MAX_MD_SIZE];
    unsigned char db[EVP_MAX_MD_SIZE];
    unsigned int la = 0;
    unsigned int lb = 0;
    if (EVP_Digest(a.data(), a.size(), da, &la, EVP_sha256(), nullptr) != 1 ||
        EVP_Digest(b.data(), b.size(), db, &lb, EVP_sha256(), nullptr) != 1 || la != lb)
        return false;
    return CRYPTO_memcmp(da, db, la) == 0;
}

namespace {

constexpr std::string_view cookie_name = "taskkit_token";

/// The value of a cookie of the request, if it is there.
std::optional<std::string> cookie(const httplib::Request& req, std::string_view name) {
    const auto header = req.get_header_value("Cookie");
    std::string_view rest = header;
    while (!rest.empty()) {
        const auto semi = rest.find(';');
        auto part = rest.substr(0, semi);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        const auto eq = part.find('=');
        if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
        if (semi == std::string_view::npos) break;
        rest.remove_prefix(semi + 1);
    }
    return std::nullopt;
}

/// How a request authenticated.
enum class credential { none, bearer, cookie, query };

credential presented(const server_state& s, const httplib::Request& req, bool allow_query) {
    const auto& token = s.options.token;
    const auto auth = req.get_header_value("Authorization");
    if (auth.size() > 7 && (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0))
        return constant_time_equal(std::string_view(auth).substr(7), token) ? credential::bearer : credential::none;
    if (auto c = cookie(req, cookie_name))
        return constant_time_equal(*c, token) ? credential::cookie : credential::none;
    if (allow_query && req.has_param("token"))
        return constant_time_equal(req.get_param_value("token"), token) ? credential::query : credential::none;
    return credential::none;
}

bool is_json_content_type(const std::string& type) {
    std::string t;
    for (char c : type.substr(0, type.find(';'))) {
        if (c == ' ' || c == '\t') continue;
        t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return t == "application/json" || (t.starts_with("application/") && t.ends_with("+json"));
}

/// Paths the API, the metrics and the dashboard own; every other path may be a webhook task's.
bool reserved_path(std::string_view path) {
    return path == "/" || path == "/api" || path.starts_with("/api/") || path == "/metrics" ||
           path.starts_with("/assets/") || path == "/assets";
}

/// The host of an Origin header ("https://example.com:8080" → "example.com:8080").
std::string_view origin_host(std::string_view origin) {
    const auto scheme = origin.find("://");
    return scheme == std::string_view::npos ? origin : origin.substr(scheme + 3);
}

void deliver(server_state& s, const httplib::Request& req, httplib::Response& res) {
    webhook_request w{.method = req.method, .path = req.path, .body = req.body, .headers = {}};
    w.headers.reserve(req.headers.size());
    for (const auto& [k, v] : req.headers) w.headers.emplace_back(k, v);
    auto answer = deliver_webhook(s.rt, w);
    if (!answer) throw http_error(404, "not_found", "no route and no webhook task at " + req.path.substr(0, 256));
    send_json(res, answer->status, answer->body);
}

}  // namespace

bool authorized(const server_state& s, const httplib::Request& req, bool allow_query) {
    return presented(s, req, allow_query) != credential::none;
}

void server_state::dispatch(const httplib::Request& req, httplib::Response& res) {
    try {
        std::size_t header_bytes = 0;
        for (const auto& [k, v] : req.headers) header_bytes += k.size() + v.size() + 4;
        if (header_bytes > options.max_header_bytes)
            throw http_error(431, "headers_too_large",
                             fmt::format("the request's headers take {} bytes; the limit is {}", header_bytes,
                                         options.max_header_bytes));
        if (!reserved_path(req.path)) {
            deliver(*this, req, res);
            return;
        }
        auto m = match_route(req.method, req.path);
        if (m.route == nullptr) {
            if (!m.allowed.empty()) {
                std::string allow;
                for (auto a : m.allowed) allow += (allow.empty() ? "" : ", ") + std::string(a);
                if (std::find(m.allowed.begin(), m.allowed.end(), "GET") != m.allowed.end()) allow += ", HEAD";
                res.set_header("Allow", allow);
                throw http_error(405, "method_not_allowed",
                                 fmt::format("{} does not answer {} (it answers {})", req.path.substr(0, 256),
                                             req.method.substr(0, 16), allow));
            }
            throw http_error(404, "not_found", "no route at " + req.path.substr(0, 256));
        }
        const auto& route = *m.route;
        // The dashboard's sign-in: GET /?token=… sets the cookie and sends the browser on to "/"
        // without the token in its address bar or history.
        if (req.path == "/" && req.has_param("token") && options.auth) {
            if (!constant_time_equal(req.get_param_value("token"), options.token))
                throw http_error(401, "unauthorized", "the token in the URL is not the server's token");
            res.set_header("Set-Cookie", fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}", cookie_name,
                                                     options.token, options.tls ? "; Secure" : ""));
            res.set_header("Location", "/");
            res.set_header("Cache-Control", "no-store");
            res.status = 303;
            return;
        }
        const bool needs_token =
            options.auth && (route.info.access == route_access::token || route.info.access == route_access::stream ||
                             (route.info.access == route_access::metrics && options.metrics_auth));
        if (needs_token) {
            const auto how = presented(*this, req, route.info.access == route_access::stream);
            if (how == credential::none) {
                res.set_header("WWW-Authenticate", "Bearer realm=\"taskkit\"");
                throw http_error(401, "unauthorized",
                                 "this route needs the server's token: send \"Authorization: Bearer <token>\"");
            }
            // A cookie rides along with requests other sites make: refuse a changing request whose
            // Origin is another site's.
            if (how == credential::cookie && req.method != "GET" && req.method != "HEAD" && req.has_header("Origin") &&
                origin_host(req.get_header_value("Origin")) != req.get_header_value("Host"))
                throw http_error(403, "forbidden", "a cross-site request cannot use the dashboard's cookie");
        }
        if (route.json_body && !req.body.empty() && !is_json_content_type(req.get_header_value("Content-Type")))
            throw http_error(415, "unsupported_media_type", "the body must be JSON (Content-Type: application/json)");
        route.handler(*this, req, res, m.params);
    } catch (const http_error& e) {
        send_json(res, e.status(), e.body());
    } catch (const unknown_task_error& e) {
        send_json(res, 404, http_error(404, "unknown_task", e.what()).body());
    } catch (const unknown_queue_error& e) {
        send_json(res, 404, http_error(404, "unknown_queue", e.what()).body());
    } catch (const runtime_stopped_error& e) {
        send_json(res, 503, http_error(503, "runtime_stopped", e.what()).body());
    } catch (const state_error& e) {
        send_json(res, 409, http_error(409, "state_conflict", e.what()).body());
    } catch (const options_error& e) {
        send_json(res, 400, http_error(400, "validation_failed", e.what()).body());
    } catch (const std::exception&) {
        // Never the exception's text: it may say more about the process than a client should see.
        send_json(res, 500, http_error(500, "internal", "the server failed to answer this request").body());
    } catch (...) {
        send_json(res, 500, http_error(500, "internal", "the server failed to answer this request").body());
    }
    metrics.count_request(res.status);
}

}  // namespace detail

// ------------------------------------------------------------------ server

server::server(runtime& rt, server_options options) {
    options.validate();
    state_ = std::make_unique<detail::server_state>(rt, std::move(options));
}

server::~server() { stop(); }

void server::start() {
    auto& s = *state_;
    std::lock_guard lock(s.lifecycle);
    if (s.started) throw state_error("taskkit::http::server: start() was already called");
    s.started = true;

    if (s.options.tls) {
        auto ssl =
            std::make_unique<httplib::SSLServer>(s.options.tls->cert_file.c_str(), s.options.tls->key_file.c_str());
        if (!ssl->is_valid())
            throw options_error(
                fmt::format("taskkit::http::server: cannot use the certificate '{}' and key '{}' "
                            "(unreadable, not PEM, or not a pair)",
                            s.options.tls->cert_file, s.options.tls->key_file));
        s.http = std::move(ssl);
    } else {
        s.http = std::make_unique<httplib::Server>();
    }
    auto& h = *s.http;
    const auto threads = s.options.threads;
    h.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    h.set_payload_max_length(s.options.max_body_bytes);
    h.set_keep_alive_timeout(static_cast<time_t>(s.options.keep_alive_timeout.count()));
    h.set_keep_alive_max_count(100);  // cpp-httplib closes after 5 requests by default
    h.set_read_timeout(static_cast<time_t>(s.options.read_timeout.count()));
    h.set_write_timeout(5);
    h.set_tcp_nodelay(true);
    // cpp-httplib's default also sets SO_REUSEPORT, with which a second server would share a port
    // in use instead of failing to bind it.
    h.set_socket_options([](socket_t sock) {
        int yes = 1;
        (void)setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
    });
    const auto handler = [&s](const httplib::Request& req, httplib::Response& res) { s.dispatch(req, res); };
    h.Get(".*", handler);
    h.Post(".*", handler);
    h.Put(".*", handler);
    h.Patch(".*", handler);
    h.Delete(".*", handler);
    h.Options(".*", handler);
    // Answers cpp-httplib makes itself (a body over the limit, a request it cannot parse) get the
    // API's error shape too.
    h.set_error_handler(httplib::Server::HandlerWithResponse([&s](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string code = "bad_request";
        std::string message = "the request could not be read";
        if (res.status == 413) {
            code = "payload_too_large";
            message = fmt::format("the body is larger than the limit of {} bytes", s.options.max_body_bytes);
        } else if (res.status == 414) {
            code = "uri_too_long";
            message = "the request's URI is too long";
        } else if (res.status == 404) {
            code = "not_found";
            message = "no route";
        }
        detail::send_json(res, res.status, http_error(res.status, code, message).body());
        s.metrics.count_request(res.status);
        return httplib::Server::HandlerResponse::Handled;
    }));
    h.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        detail::send_json(res, 500, http_error(500, "internal", "the server failed to answer this request").body());
    });

    // Status events: subscribe before seeding, so that no change falls between the two.
    s.status_subscription = s.rt.subscribe([&s](const status_event& e) {
        s.events.push(e);
        s.metrics.on_event(e);
    });
    {
        std::vector<run_record> unfinished;
        run_filter filter{.statuses = {run_status::delayed, run_status::queued, run_status::executing,
                                       run_status::waiting, run_status::retrying},
                          .limit = 1000};
        for (;;) {
            auto page = s.rt.list(filter);
            for (auto& r : page.runs) unfinished.push_back(std::move(r));
            if (page.next_cursor.empty()) break;
            filter.cursor = page.next_cursor;
        }
        s.metrics.seed(unfinished);
    }

    int port = s.options.port;
    if (port == 0) {
        port = h.bind_to_any_port(s.options.host);
        if (port <= 0) port = -1;
    } else if (!h.bind_to_port(s.options.host, port)) {
        port = -1;
    }
    if (port < 0) {
        s.status_subscription.unsubscribe();
        throw options_error(
            fmt::format("taskkit::http::server: cannot listen on {}:{} (in use, not an address of "
                        "this host, or not allowed)",
                        s.options.host, s.options.port));
    }
    s.bound_port = port;
    s.listener = std::thread([&s] {
        s.http->listen_after_bind();
        s.listener_done = true;
    });
    // listen_after_bind marks the server running first thing; stop() must not come before that,
    // or the listener would go on.
    while (!s.http->is_running() && !s.listener_done) std::this_thread::yield();
    s.is_running = true;
}

void server::stop() {
    if (!state_) return;
    auto& s = *state_;
    std::lock_guard lock(s.lifecycle);
    if (s.stopped) return;
    s.stopped = true;
    s.stopping = true;
    s.events.close();  // event streams end at their next wake-up, which is now
    if (s.http && s.listener.joinable()) {
        s.http->stop();
        s.listener.join();
    }
    s.is_running = false;
    s.status_subscription.unsubscribe();
}

int server::port() const noexcept { return state_->bound_port.load(); }

bool server::running() const noexcept { return state_->is_running.load(); }

std::string server::url() const {
    const auto& host = state_->options.host;
    const bool v6 = host.find(':') != std::string::npos;
    return fmt::format("{}://{}{}{}:{}", state_->options.tls ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "",
                       port());
}

}  // namespace taskkit::http
