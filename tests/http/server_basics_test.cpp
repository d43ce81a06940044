// The server itself: options, lifecycle, auth, limits, errors, unknown routes, TLS, the API
// description against the route table, and the dashboard's files and sign-in.
#include <set>
#include <thread>

#include "http/assets.hpp"
#include "http/server_state.hpp"
#include "http_test_support.hpp"

using namespace taskkit_http_test;

namespace {

taskkit::runtime_options quiet(taskkit::registry& reg) { return taskkit_test::options(reg, 1); }

}  // namespace

TEST_CASE("server options are checked at construction") {
    taskkit::registry reg;
    taskkit::runtime rt(quiet(reg));
    CHECK_THROWS_AS(taskkit::http::server(rt, {.port = 0}), taskkit::options_error);  // auth on, no token
    CHECK_THROWS_AS(taskkit::http::server(rt, {.port = 70000, .token = "t"}), taskkit::options_error);
    CHECK_THROWS_AS(taskkit::http::server(rt, {.port = 0, .token = "t", .threads = 1}), taskkit::options_error);
    CHECK_THROWS_AS(taskkit::http::server(rt, {.port = 0, .token = "t", .threads = 4, .max_streams = 4}),
                    taskkit::options_error);
    CHECK_THROWS_AS(taskkit::http::server(rt, {.port = 0, .token = "t", .tls = taskkit::http::tls_options{}}),
                    taskkit::options_error);
    CHECK_NOTHROW(taskkit::http::server(rt, {.port = 0, .auth = false}));
}

TEST_CASE("start binds a free port with port 0, stop is idempotent and the destructor stops") {
    taskkit::registry reg;
    taskkit::runtime rt(quiet(reg));
    taskkit::http::server srv(rt, {.port = 0, .token = test_token});
    CHECK(srv.port() == 0);
    CHECK(!srv.running());
    srv.start();
    CHECK(srv.running());
    CHECK(srv.port() > 0);
    CHECK(srv.url() == "http://127.0.0.1:" + std::to_string(srv.port()));
    CHECK_THROWS_AS(srv.start(), taskkit::state_error);
    CHECK(client(srv.port()).get("/api/v1/health").status == 200);
    srv.stop();
    CHECK(!srv.running());
    srv.stop();
    CHECK(client(srv.port()).get("/api/v1/health").status == 0);  // nobody listens any more
    {
        taskkit::http::server other(rt, {.port = 0, .token = test_token});
        other.start();
        CHECK(client(other.port()).get("/api/v1/health").status == 200);
    }  // the destructor stops it
}

TEST_CASE("a port in use is an options_error from start") {
    taskkit::registry reg;
    taskkit::runtime rt(quiet(reg));
    taskkit::http::server first(rt, {.port = 0, .token = test_token});
    first.start();
    taskkit::http::server second(rt, {.port = first.port(), .token = test_token});
    CHECK_THROWS_AS(second.start(), taskkit::options_error);
}

TEST_CASE("every API route needs the bearer token, compared whole") {
    taskkit::registry reg;
    fixture f(reg);
    const auto c = f.http();
    SECTION("no token") {
        auto a = c.anonymous("GET", "/api/v1/tasks");
        CHECK(a.status == 401);
        CHECK(a.error_code() == "unauthorized");
        CHECK(a.header("WWW-Authenticate").find("Bearer") == 0);
    }
    SECTION("a wrong token of the same length") {
        std::string wrong = test_token;
        wrong.back() = wrong.back() == 'x' ? 'y' : 'x';
        CHECK(f.http(wrong).get("/api/v1/tasks").status == 401);
    }
    SECTION("a prefix of the token, and the token with more after it") {
        const std::string token = test_token;
        CHECK(f.http(token.substr(0, token.size() - 1)).get("/api/v1/tasks").status == 401);
        CHECK(f.http(token + "0").get("/api/v1/tasks").status == 401);
        CHECK(f.http("").get("/api/v1/tasks").status == 401);
    }
    SECTION("another scheme") {
        auto a = c.request("GET", "/api/v1/tasks", "", "application/json",
                           {{"Authorization", std::string("Basic ") + test_token}}, false);
        CHECK(a.status == 401);
    }
    SECTION("the right token") { CHECK(c.get("/api/v1/tasks").status == 200); }
    SECTION("the token in the URL is only for the event stream") {
        CHECK(c.anonymous("GET", std::string("/api/v1/tasks?token=") + test_token).status == 401);
    }
    SECTION("the description and health are open; metrics are open by default") {
        CHECK(c.anonymous("GET", "/api/v1/openapi.json").status == 200);
        CHECK(c.anonymous("GET", "/api/v1/health").status == 200);
        CHECK(c.anonymous("GET", "/metrics").status == 200);
    }
    SECTION("the dashboard needs it too") { CHECK(c.anonymous("GET", "/").status == 401); }
}

TEST_CASE("constant_time_equal compares whole secrets of any length") {
    using taskkit::http::detail::constant_time_equal;
    CHECK(constant_time_equal("abc", "abc"));
    CHECK(!constant_time_equal("abc", "abd"));
    CHECK(!constant_time_equal("abc", "ab"));
    CHECK(!constant_time_equal("", "a"));
    CHECK(constant_time_equal("", ""));
}

TEST_CASE("metrics can need the token, and auth can be turned off explicitly") {
    taskkit::registry reg;
    SECTION("metrics_auth") {
        fixture f(reg, {.metrics_auth = true});
        CHECK(f.http().anonymous("GET", "/metrics").status == 401);
        CHECK(f.http().get("/metrics").status == 200);
    }
    SECTION("auth off") {
        fixture f(reg, {.auth = false});
        CHECK(f.http().anonymous("GET", "/api/v1/tasks").status == 200);
        CHECK(f.http().anonymous("GET", "/").status == 200);
    }
}

TEST_CASE("the dashboard signs in with ?token= into a cookie, then redirects without it") {
    taskkit::registry reg;
    fixture f(reg);
    const auto c = f.http();
    auto a = c.anonymous("GET", std::string("/?token=") + test_token);
    CHECK(a.status == 303);
    CHECK(a.header("Location") == "/");
    const auto cookie = a.header("Set-Cookie");
    CHECK(cookie.find(std::string("taskkit_token=") + test_token) == 0);
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(cookie.find("SameSite=Strict") != std::string::npos);
    CHECK(c.anonymous("GET", "/?token=wrong").status == 401);

    const httplib::Headers with_cookie{{"Cookie", std::string("other=1; taskkit_token=") + test_token}};
    auto page = c.request("GET", "/", "", "", with_cookie, false);
    CHECK(page.status == 200);
    CHECK(page.header("Content-Type").find("text/html") == 0);
    if (taskkit::http::detail::asset_count() == 0) CHECK(page.body.find("missing") != std::string::npos);
    // The cookie works for the API as well, and the wrong cookie does not.
    CHECK(c.request("GET", "/api/v1/tasks", "", "", with_cookie, false).status == 200);
    CHECK(c.request("GET", "/api/v1/tasks", "", "", {{"Cookie", "taskkit_token=nope"}}, false).status == 401);
    // A changing request from another site's page cannot ride on the cookie.
    httplib::Headers cross = with_cookie;
    cross.emplace("Origin", "https://evil.example");
    CHECK(c.request("POST", "/api/v1/runs/nope/cancel", "", "application/json", cross, false).status == 403);
    CHECK(c.get("/assets/nope.js").error_code() == "not_found");
}

TEST_CASE("unknown routes are 404 and known paths with another method are 405, as JSON") {
    taskkit::registry reg;
    fixture f(reg);
    const auto c = f.http();
    auto a = c.get("/api/v1/nope");
    CHECK(a.status == 404);
    CHECK(a.error_code() == "not_found");
    CHECK(a.json_body["error"].contains("details"));
    CHECK(c.get("/api/v2/tasks").status == 404);
    CHECK(c.get("/api/v1/tasks/").status == 404);  // a trailing slash is another path
    auto m = c.request("DELETE", "/api/v1/tasks");
    CHECK(m.status == 405);
    CHECK(m.error_code() == "method_not_allowed");
    CHECK(m.header("Allow").find("GET") != std::string::npos);
    CHECK(c.request("PUT", "/api/v1/tasks/x/trigger", "{}").status == 405);
    CHECK(c.request("OPTIONS", "/api/v1/runs").status == 405);
    CHECK(c.get("/api/v1/tasks/x/trigger").status == 405);
    // A path that is no route and no webhook task's.
    auto w = c.anonymous("POST", "/webhooks/nobody", "{}");
    CHECK(w.status == 404);
    CHECK(w.error_code() == "not_found");
}

TEST_CASE("request bodies and headers have limits, answered 413 and 431 as JSON") {
    taskkit::registry reg;
    taskkit::task<json> t({.id = "echo", .run = [](const json&) {}}, reg);
    fixture f(reg, {.max_body_bytes = 1024, .max_header_bytes = 2048});
    const auto c = f.http();
    const json small{{"payload", std::string(100, 'x')}};
    CHECK(c.post("/api/v1/tasks/echo/trigger", small).status == 202);
    auto big = c.post("/api/v1/tasks/echo/trigger", json{{"payload", std::string(2000, 'x')}});
    CHECK(big.status == 413);
    CHECK(big.error_code() == "payload_too_large");
    httplib::Headers many;
    for (int i = 0; i < 10; ++i) many.emplace("X-Filler-" + std::to_string(i), std::string(300, 'h'));
    auto h = c.request("GET", "/api/v1/tasks", "", "", many);
    CHECK(h.status == 431);
    CHECK(h.error_code() == "headers_too_large");
    // The limits apply before webhook routing, without the token.
    CHECK(c.anonymous("POST", "/webhooks/any", std::string(4096, '{')).status == 413);
}

TEST_CASE("bad JSON, a body that is not an object and a non-JSON content type are refused") {
    taskkit::registry reg;
    taskkit::task<json> t({.id = "echo", .run = [](const json&) {}}, reg);
    fixture f(reg);
    const auto c = f.http();
    auto bad = c.request("POST", "/api/v1/tasks/echo/trigger", "{\"payload\": ");
    CHECK(bad.status == 400);
    CHECK(bad.error_code() == "bad_json");
    CHECK(bad.json_body["error"]["details"].contains("byte"));
    auto arr = c.request("POST", "/api/v1/tasks/echo/trigger", "[1, 2]");
    CHECK(arr.status == 400);
    CHECK(arr.error_code() == "validation_failed");
    auto text = c.request("POST", "/api/v1/tasks/echo/trigger", "payload=1", "application/x-www-form-urlencoded");
    CHECK(text.status == 415);
    CHECK(text.error_code() == "unsupported_media_type");
    CHECK(c.request("POST", "/api/v1/tasks/echo/trigger", "{}", "application/json; charset=utf-8").status == 202);
    // Deeper than any payload may be: refused before anything copies it.
    const std::string deep = "{\"payload\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
    fixture roomy(reg, {.max_body_bytes = 1 << 20});
    auto d = roomy.http().request("POST", "/api/v1/tasks/echo/trigger", deep);
    CHECK(d.status == 400);
    CHECK(d.error_code() == "validation_failed");
}

namespace {
// A payload whose conversion to JSON throws something that is no taskkit error, once asked to.
std::atomic<bool> refuse_to_json{false};
struct touchy {
    int x = 0;
};
void to_json(json& j, const touchy& t) {
    if (refuse_to_json) throw std::logic_error("secret detail of the process");
    j = json{{"x", t.x}};
}
void from_json(const json& j, touchy& t) { t.x = j.at("x").get<int>(); }
}  // namespace

TEST_CASE("a handler that throws is a 500 with the error shape, and the server goes on") {
    taskkit::registry reg;
    taskkit::task<touchy> t({.id = "touchy", .run = [](const touchy&) {}}, reg);
    fixture f(reg);
    const auto c = f.http();
    auto handle = f.rt.trigger(t, touchy{.x = 1});
    handle.wait();
    refuse_to_json = true;
    auto a = c.get("/api/v1/runs/" + handle.id());
    refuse_to_json = false;
    CHECK(a.status == 500);
    CHECK(a.error_code() == "internal");
    CHECK(a.body.find("secret detail") == std::string::npos);
    CHECK(c.get("/api/v1/runs?cursor=garbage").status == 400);
    CHECK(c.get("/api/v1/runs/" + handle.id()).status == 200);
}

TEST_CASE("the API description lists every route of the route table") {
    taskkit::registry reg;
    fixture f(reg);
    auto a = f.http().anonymous("GET", "/api/v1/openapi.json");
    REQUIRE(a.status == 200);
    const auto& doc = a.json_body;
    CHECK(doc["openapi"] == "3.1.0");
    const auto routes = taskkit::http::server::routes();
    REQUIRE(routes.size() >= 20);
    std::set<std::string> operation_ids;
    for (const auto& r : routes) {
        std::string method(r.method);
        for (auto& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        INFO(std::string(r.method) + " " + std::string(r.path));
        REQUIRE(doc["paths"].contains(std::string(r.path)));
        REQUIRE(doc["paths"][std::string(r.path)].contains(method));
        const auto& op = doc["paths"][std::string(r.path)][method];
        CHECK(op["summary"] == std::string(r.summary));
        CHECK(!op["responses"].empty());
        // At least one success answer, described.
        bool success = false;
        for (const auto& [code, v] : op["responses"].items())
            if (code[0] == '2' || code[0] == '3') success = true;
        CHECK(success);
        CHECK(operation_ids.insert(op["operationId"].get<std::string>()).second);
        // Every path parameter is declared.
        for (auto open = r.path.find('{'); open != std::string_view::npos; open = r.path.find('{', open + 1)) {
            const auto name = std::string(r.path.substr(open + 1, r.path.find('}', open) - open - 1));
            bool declared = false;
            for (const auto& p : op.value("parameters", json::array()))
                if (p["name"] == name && p["in"] == "path") declared = true;
            CHECK(declared);
        }
        // And the router answers it: a request to the route never gets "no route" or 405.
        std::string path(r.path);
        for (auto open = path.find('{'); open != std::string::npos; open = path.find('{'))
            path.replace(open, path.find('}', open) - open + 1, "x");
        if (r.path == "/api/v1/runs/stream") continue;  // a stream stays open; tested on its own
        auto answer = f.http().request(std::string(r.method), path, "");
        CHECK(answer.status != 405);
        const auto message =
            answer.error_code().empty() ? std::string() : answer.json_body["error"].value("message", std::string());
        CHECK(message.rfind("no route", 0) != 0);
    }
    // And the document names no path the table lacks.
    for (const auto& [path, item] : doc["paths"].items()) {
        for (const auto& [method, op] : item.items()) {
            bool found = false;
            for (const auto& r : routes) {
                std::string m(r.method);
                for (auto& ch : m) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                if (r.path == path && m == method) found = true;
            }
            INFO(method + " " + path);
            CHECK(found);
        }
    }
}

TEST_CASE("the server serves HTTPS with a certificate and key") {
    taskkit::registry reg;
    taskkit::runtime rt(quiet(reg));
    self_signed pem;
    taskkit::http::server srv(
        rt, {.port = 0,
             .token = test_token,
             .tls = taskkit::http::tls_options{.cert_file = pem.cert_file, .key_file = pem.key_file}});
    srv.start();
    CHECK(srv.url().rfind("https://", 0) == 0);
    httplib::SSLClient c("127.0.0.1", srv.port());
    c.enable_server_certificate_verification(false);
    c.set_connection_timeout(5);
    auto r = c.Get("/api/v1/tasks", {{"Authorization", std::string("Bearer ") + test_token}});
    REQUIRE(r);
    CHECK(r->status == 200);
    // Plain HTTP to the TLS port gets no answer.
    CHECK(client(srv.port()).get("/api/v1/tasks").status == 0);
    // Unreadable files are an options_error from start.
    taskkit::http::server bad(rt, {.port = 0,
                                   .token = test_token,
                                   .tls = taskkit::http::tls_options{.cert_file = "/nonexistent/cert.pem",
                                                                     .key_file = "/nonexistent/key.pem"}});
    CHECK_THROWS_AS(bad.start(), taskkit::options_error);
}

TEST_CASE("requests in parallel are all answered") {
    taskkit::registry reg;
    taskkit::task<json> t({.id = "echo", .run = [](const json&) {}}, reg);
    fixture f(reg);
    std::atomic<int> accepted{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            const auto c = f.http();
            for (int j = 0; j < 25; ++j)
                if (c.post("/api/v1/tasks/echo/trigger", json{{"payload", j}}).status == 202) ++accepted;
        });
    for (auto& th : threads) th.join();
    CHECK(accepted == 100);
}
