// A server on loopback (port 0) over a runtime with a private registry, and a small client for it.
#pragma once

#include <httplib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <taskkit/http.hpp>

#include "support/taskkit_test.hpp"

namespace taskkit_http_test {

using namespace std::chrono_literals;
using nlohmann::json;

inline constexpr const char* test_token = "s3cret-test-token-0123456789";

/// An answer, its body parsed as JSON when it is JSON.
struct answer {
    int status = 0;
    std::string body;
    httplib::Headers headers;
    json json_body;

    [[nodiscard]] std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
    /// The error code of an error answer ("" when it is not one).
    [[nodiscard]] std::string error_code() const {
        if (!json_body.is_object() || !json_body.contains("error")) return "";
        return json_body["error"].value("code", "");
    }
};

/// A loopback client. Each request opens its own connection (no keep-alive), so a test never
/// depends on a connection's state.
class client {
public:
    explicit client(int port, std::string token = test_token) : port_(port), token_(std::move(token)) {}

    answer request(const std::string& method, const std::string& path, const std::string& body = "",
                   const std::string& content_type = "application/json", httplib::Headers extra = {},
                   bool with_token = true) const {
        httplib::Client c("127.0.0.1", port_);
        c.set_connection_timeout(5);
        c.set_read_timeout(20);
        c.set_tcp_nodelay(true);  // no Nagle delay between the headers and the body
        httplib::Headers headers = std::move(extra);
        if (with_token && !token_.empty()) headers.emplace("Authorization", "Bearer " + token_);
        httplib::Result r{nullptr, httplib::Error::Unknown};
        if (method == "GET")
            r = c.Get(path.c_str(), headers);
        else if (method == "POST")
            r = c.Post(path.c_str(), headers, body, content_type.c_str());
        else if (method == "PUT")
            r = c.Put(path.c_str(), headers, body, content_type.c_str());
        else if (method == "DELETE")
            r = c.Delete(path.c_str(), headers, body, content_type.c_str());
        else if (method == "PATCH")
            r = c.Patch(path.c_str(), headers, body, content_type.c_str());
        else if (method == "OPTIONS")
            r = c.Options(path.c_str(), headers);
        answer a;
        if (!r) return a;  // status 0: no answer
        a.status = r->status;
        a.body = r->body;
        a.headers = r->headers;
        a.json_body = json::parse(a.body, nullptr, false);
        return a;
    }
    answer get(const std::string& path) const { return request("GET", path); }
    answer post(const std::string& path, const json& body) const { return request("POST", path, body.dump()); }
    answer post(const std::string& path) const { return request("POST", path, ""); }
    answer del(const std::string& path) const { return request("DELETE", path); }
    answer anonymous(const std::string& method, const std::string& path, const std::string& body = "") const {
        return request(method, path, body, "application/json", {}, false);
    }

private:
    int port_;
    std::string token_;
};

/// A runtime on a private registry with a server on a free loopback port.
/// A runtime with a server on a free loopback port. Declare the tasks on a registry of your own
/// before the fixture (`fixture f(reg)`), so that they outlive its runtime; or use the fixture's
/// own registry (`f.reg`).
struct fixture {
    explicit fixture(taskkit::http::server_options o = {}, unsigned workers = 2)
        : reg(own_reg), rt(taskkit_test::options(reg, workers)) {
        start(std::move(o));
    }
    explicit fixture(taskkit::registry& r, taskkit::http::server_options o = {}, unsigned workers = 2)
        : reg(r), rt(taskkit_test::options(reg, workers)) {
        start(std::move(o));
    }
    ~fixture() {
        srv.reset();  // the server first: it reads the runtime
    }
    fixture(const fixture&) = delete;
    fixture& operator=(const fixture&) = delete;
    [[nodiscard]] client http(std::string token = test_token) const { return client(srv->port(), std::move(token)); }

    taskkit::registry own_reg;
    taskkit::registry& reg;
    taskkit::runtime rt;
    std::unique_ptr<taskkit::http::server> srv;

private:
    void start(taskkit::http::server_options o) {
        if (o.token.empty() && o.auth) o.token = test_token;
        o.host = "127.0.0.1";
        o.port = 0;
        const bool plain = !o.tls.has_value();
        srv = std::make_unique<taskkit::http::server>(rt, std::move(o));
        srv->start();
        // One request from this thread first. Debian's cpp-httplib is a compiled library without
        // ThreadSanitizer's instrumentation: the regular expressions its client keeps in function
        // statics would be built by whichever client thread comes first, and the sanitizer, which
        // cannot see the library's guard, would report the next thread's read of them as a race.
        // Built here, before a test starts its threads, they are seen to come before every use.
        if (plain) (void)client(srv->port()).request("GET", "/api/v1/tasks");
    }
};

/// A self-signed certificate and key for 127.0.0.1, written as PEM files in a temporary folder.
struct self_signed {
    std::filesystem::path dir;
    std::string cert_file;
    std::string key_file;

    self_signed() {
        static std::atomic<int> counter{0};
        dir = std::filesystem::temp_directory_path() /
              ("taskkit_http_tls_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::create_directories(dir);
        cert_file = (dir / "cert.pem").string();
        key_file = (dir / "key.pem").string();
        EVP_PKEY* key = EVP_RSA_gen(2048);
        X509* x = X509_new();
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_set_pubkey(x, key);
        X509_NAME* name = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1,
                                   -1, 0);
        X509_set_issuer_name(x, name);
        X509_sign(x, key, EVP_sha256());
        FILE* f = std::fopen(cert_file.c_str(), "wb");
        PEM_write_X509(f, x);
        std::fclose(f);
        f = std::fopen(key_file.c_str(), "wb");
        PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
        std::fclose(f);
        X509_free(x);
        EVP_PKEY_free(key);
    }
    ~self_signed() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    self_signed(const self_signed&) = delete;
    self_signed& operator=(const self_signed&) = delete;
};

}  // namespace taskkit_http_test

namespace taskkit_http_test {

/// Reads an event stream on a thread of its own, keeping what it received; the test thread looks
/// at text() (Catch's assertions stay on the test thread). Ends when the server ends the stream,
/// or at the next bytes after the reader is destroyed (tests use short heartbeats).
class stream_reader {
public:
    stream_reader(int port, std::string path,
                  httplib::Headers headers = {{"Authorization", std::string("Bearer ") + test_token}})
        : thread_([this, port, path = std::move(path), headers = std::move(headers)] {
              httplib::Client c("127.0.0.1", port);
              c.set_read_timeout(30);
              auto r = c.Get(
                  path.c_str(), headers,
                  [this](const httplib::Response& res) {
                      status_ = res.status;
                      return true;
                  },
                  [this](const char* data, std::size_t n) {
                      std::lock_guard lock(mutex_);
                      text_.append(data, n);
                      return !stop_.load();
                  });
              if (r && status_ == 0) status_ = r->status;
              if (r && r->status >= 400) {
                  std::lock_guard lock(mutex_);
                  text_ += r->body;
              }
              ended_ = true;
          }) {}
    ~stream_reader() {
        stop_ = true;
        thread_.join();
    }
    stream_reader(const stream_reader&) = delete;
    stream_reader& operator=(const stream_reader&) = delete;

    [[nodiscard]] std::string text() const {
        std::lock_guard lock(mutex_);
        return text_;
    }
    [[nodiscard]] bool contains(const std::string& s) const { return text().find(s) != std::string::npos; }
    [[nodiscard]] bool ended() const { return ended_; }
    [[nodiscard]] int status() const { return status_; }

private:
    mutable std::mutex mutex_;
    std::string text_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> ended_{false};
    std::atomic<int> status_{0};
    std::thread thread_;  // last: it starts once the rest is made
};

/// The `data:` objects of the stream's `event: status` events, in order.
inline std::vector<json> status_events(const std::string& text) {
    std::vector<json> out;
    std::size_t at = 0;
    while ((at = text.find("event: status\ndata: ", at)) != std::string::npos) {
        at += 20;
        const auto end = text.find('\n', at);
        if (end == std::string::npos) break;
        out.push_back(json::parse(text.substr(at, end - at), nullptr, false));
        at = end;
    }
    return out;
}

}  // namespace taskkit_http_test
