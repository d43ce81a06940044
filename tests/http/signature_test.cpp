// The webhook signature verifiers, against the vendors' documented examples and vectors made with
// `openssl dgst -sha256 -hmac` (noted at each).
#include <chrono>
#include <string>

#include <taskkit/http/signature.hpp>

#include "support/taskkit_test.hpp"

namespace {

using taskkit::http::webhook_request;
using time_point = std::chrono::system_clock::time_point;

// GitHub's documentation ("Validating webhook deliveries", testing the webhook payload
// validation): secret "It's a Secret to Everybody", payload "Hello, World!", signature
// X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17.
constexpr const char* github_secret = "It's a Secret to Everybody";
constexpr const char* github_body = "Hello, World!";
constexpr const char* github_signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

// Stripe's scheme ("Verify the signature manually"): v1 is the hex HMAC-SHA256 of "<t>.<body>"
// keyed with the endpoint secret. Made with
//   printf '%s' '1492774577.{"id":"evt_test_webhook","object":"event"}' | openssl dgst -sha256 -hmac
//   'whsec_test_secret'
// and, for a second secret (a rolled secret's old signature), -hmac 'whsec_other_secret'.
constexpr const char* stripe_secret = "whsec_test_secret";
constexpr const char* stripe_body = R"({"id":"evt_test_webhook","object":"event"})";
constexpr long long stripe_t = 1492774577;
constexpr const char* stripe_v1 = "88a022085c6bdb887b02cb26ff76dd681234d9675c0f22844059f55552a8883a";
constexpr const char* stripe_v1_other_secret = "ab0e147d0a813129a1502825b97f32d358eaac6c77e9f949971c4a31f044b874";

time_point at(long long unix_seconds) { return time_point(std::chrono::seconds(unix_seconds)); }

webhook_request post(std::string body, std::vector<std::pair<std::string, std::string>> headers) {
    return {.method = "POST", .path = "/hook", .body = std::move(body), .headers = std::move(headers)};
}

}  // namespace

TEST_CASE("hmac_sha256_hex and base64 give GitHub's documented signature") {
    CHECK("sha256=" + taskkit::http::hmac_sha256_hex(github_secret, github_body) == github_signature);
    // printf '%s' 'Hello, World!' | openssl dgst -sha256 -hmac "It's a Secret to Everybody" -binary | base64
    CHECK(taskkit::http::hmac_sha256_base64(github_secret, github_body) ==
          "dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc=");
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    CHECK(taskkit::http::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("github_signature accepts GitHub's documented example") {
    const auto verify = taskkit::http::github_signature({.secret = github_secret});
    CHECK(verify.scheme() == "github");
    const auto verdict = verify(post(github_body, {{"X-Hub-Signature-256", github_signature}}), at(0));
    CHECK(verdict.ok);
    CHECK(verdict.reason.empty());
    // Header names are case-insensitive, and the hex may be upper case.
    std::string upper = github_signature;
    for (std::size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
    CHECK(verify(post(github_body, {{"x-hub-signature-256", upper}}), at(0)).ok);
}

TEST_CASE("github_signature refuses a bad, missing, truncated or unprefixed signature") {
    const auto verify = taskkit::http::github_signature({.secret = github_secret});
    SECTION("another body") {
        const auto verdict = verify(post("Hello, World?", {{"X-Hub-Signature-256", github_signature}}), at(0));
        CHECK_FALSE(verdict.ok);
        CHECK(verdict.reason == "X-Hub-Signature-256 does not match the body's signature");
    }
    SECTION("another secret") {
        const auto other = taskkit::http::github_signature({.secret = "It's a secret to everybody"});
        CHECK_FALSE(other(post(github_body, {{"X-Hub-Signature-256", github_signature}}), at(0)).ok);
    }
    SECTION("no header") {
        const auto verdict = verify(post(github_body, {{"X-Hub-Signature", "sha1=abc"}}), at(0));
        CHECK_FALSE(verdict.ok);
        CHECK(verdict.reason == "no X-Hub-Signature-256 header");
    }
    SECTION("a wrong prefix") {
        const std::string sha1 = std::string("sha1=") + (github_signature + 7);
        const auto verdict = verify(post(github_body, {{"X-Hub-Signature-256", sha1}}), at(0));
        CHECK_FALSE(verdict.ok);
        CHECK(verdict.reason == "X-Hub-Signature-256 does not start with \"sha256=\"");
        CHECK_FALSE(verify(post(github_body, {{"X-Hub-Signature-256", github_signature + 7}}), at(0)).ok);
    }
    SECTION("truncated, too long, not hex, empty") {
        const std::string good = github_signature;
        for (const std::string& bad :
             {good.substr(0, good.size() - 2), good + "00", good.substr(0, good.size() - 1),
              good.substr(0, good.size() - 1) + "g", std::string("sha256="), std::string("")}) {
            INFO(bad);
            CHECK_FALSE(verify(post(github_body, {{"X-Hub-Signature-256", bad}}), at(0)).ok);
        }
    }
}

TEST_CASE("a verifier with an empty secret or header is refused when it is made") {
    CHECK_THROWS_AS(taskkit::http::github_signature({.secret = ""}), taskkit::options_error);
    CHECK_THROWS_AS(taskkit::http::stripe_signature({.secret = ""}), taskkit::options_error);
    CHECK_THROWS_AS(taskkit::http::stripe_signature({.secret = "s", .tolerance = std::chrono::seconds(-1)}),
                    taskkit::options_error);
    CHECK_THROWS_AS(taskkit::http::hmac_signature({.secret = "s"}), taskkit::options_error);
    CHECK_THROWS_AS(taskkit::http::hmac_signature({.secret = "", .header = "X-Signature"}), taskkit::options_error);
    CHECK_FALSE(taskkit::http::verifier());
    CHECK_FALSE(taskkit::http::verifier()(post("", {}), at(0)).ok);
}

TEST_CASE("stripe_signature accepts a good signature within the tolerance") {
    const auto verify = taskkit::http::stripe_signature({.secret = stripe_secret});
    CHECK(verify.scheme() == "stripe");
    const std::string header = "t=" + std::to_string(stripe_t) + ",v1=" + stripe_v1;
    CHECK(verify(post(stripe_body, {{"Stripe-Signature", header}}), at(stripe_t)).ok);
    CHECK(verify(post(stripe_body, {{"Stripe-Signature", header}}), at(stripe_t + 300)).ok);
    CHECK(verify(post(stripe_body, {{"Stripe-Signature", header}}), at(stripe_t - 300)).ok);
    // Entries in any order, with spaces, and a v0 (Stripe's test-mode scheme), which is ignored.
    const std::string shuffled =
        std::string("v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39, v1=") + stripe_v1 +
        " , t=" + std::to_string(stripe_t);
    CHECK(verify(post(stripe_body, {{"stripe-signature", shuffled}}), at(stripe_t + 10)).ok);
}

TEST_CASE("stripe_signature accepts a request whose several v1 entries include the right one") {
    const auto verify = taskkit::http::stripe_signature({.secret = stripe_secret});
    // While a secret is rolled, Stripe signs with the old and the new secret: one v1 each.
    const std::string header = "t=" + std::to_string(stripe_t) + ",v1=" + stripe_v1_other_secret + ",v1=" + stripe_v1;
    CHECK(verify(post(stripe_body, {{"Stripe-Signature", header}}), at(stripe_t)).ok);
    const std::string reversed = "t=" + std::to_string(stripe_t) + ",v1=" + stripe_v1 + ",v1=" + stripe_v1_other_secret;
    CHECK(verify(post(stripe_body, {{"Stripe-Signature", reversed}}), at(stripe_t)).ok);
    const std::string none = "t=" + std::to_string(stripe_t) + ",v1=" + stripe_v1_other_secret + ",v1=00";
    const auto verdict = verify(post(stripe_body, {{"Stripe-Signature", none}}), at(stripe_t));
    CHECK_FALSE(verdict.ok);
    CHECK(verdict.reason == "Stripe-Signature has no v1 signature that matches the body");
}

TEST_CASE("stripe_signature refuses a timestamp outside the tolerance, a replay of an old request") {
    const auto verify = taskkit::http::stripe_signature({.secret = stripe_secret});
    const std::string header = "t=" + std::to_string(stripe_t) + ",v1=" + stripe_v1;
    const auto request = post(stripe_body, {{"Stripe-Signature", header}});
    SECTION("on a virtual clock moved past the tolerance") {
        taskkit::virtual_clock clock(at(stripe_t));
        CHECK(verify(request, clock.now()).ok);
        clock.advance(std::chrono::seconds(300));
        CHECK(verify(request, clock.now()).ok);
        clock.advance(std::chrono::seconds(1));  // the same request, replayed 301 s after it was signed
        const auto verdict = verify(request, clock.now());
        CHECK_FALSE(verdict.ok);
        CHECK(verdict.reason == "Stripe-Signature's timestamp is outside the tolerance of 300 s (301 s from now)");
    }
    SECTION("a timestamp from the future") { CHECK_FALSE(verify(request, at(stripe_t - 301)).ok); }
    SECTION("a tolerance of one's own") {
        const auto strict =
            taskkit::http::stripe_signature({.secret = stripe_secret, .tolerance = std::chrono::seconds(10)});
        CHECK(strict(request, at(stripe_t + 10)).ok);
        CHECK_FALSE(strict(request, at(stripe_t + 11)).ok);
    }
    SECTION("a changed timestamp breaks the signature") {
        const std::string moved = "t=" + std::to_string(stripe_t + 400) + ",v1=" + stripe_v1;
        CHECK_FALSE(verify(post(stripe_body, {{"Stripe-Signature", moved}}), at(stripe_t + 400)).ok);
    }
}

TEST_CASE("stripe_signature refuses malformed headers") {
    const auto verify = taskkit::http::stripe_signature({.secret = stripe_secret});
    const std::string t = std::to_string(stripe_t);
    for (const std::string& bad :
         {std::string(""), std::string("garbage"), "v1=" + std::string(stripe_v1), "t=" + t,
          "t=" + t + ",v0=" + stripe_v1, "t=-" + t + ",v1=" + stripe_v1, "t=" + t + "x,v1=" + stripe_v1,
          "t=" + t + ",t=" + t + ",v1=" + stripe_v1, "t=99999999999999999999,v1=" + std::string(stripe_v1),
          "t=,v1=" + std::string(stripe_v1), "t=" + t + ",v1=", "t=" + t + ",v1=zz"}) {
        INFO(bad);
        CHECK_FALSE(verify(post(stripe_body, {{"Stripe-Signature", bad}}), at(stripe_t)).ok);
    }
    const auto missing = verify(post(stripe_body, {}), at(stripe_t));
    CHECK_FALSE(missing.ok);
    CHECK(missing.reason == "no Stripe-Signature header");
}

TEST_CASE("hmac_signature checks a prefix and hex or base64 in the header it names") {
    const auto hex = taskkit::http::hmac_signature({.secret = github_secret, .header = "X-Signature"});
    CHECK(hex.scheme() == "hmac");
    CHECK(hex(post(github_body, {{"X-Signature", github_signature + 7}}), at(0)).ok);
    CHECK_FALSE(hex(post(github_body, {{"X-Signature", github_signature}}), at(0)).ok);  // no prefix expected

    const auto prefixed =
        taskkit::http::hmac_signature({.secret = github_secret, .header = "X-Signature", .prefix = "sha256="});
    CHECK(prefixed(post(github_body, {{"X-Signature", github_signature}}), at(0)).ok);
    CHECK_FALSE(prefixed(post(github_body, {{"X-Signature", github_signature + 7}}), at(0)).ok);

    const auto b64 = taskkit::http::hmac_signature({.secret = github_secret,
                                                    .header = "X-Shopify-Hmac-Sha256",
                                                    .encoding = taskkit::http::signature_encoding::base64});
    CHECK(
        b64(post(github_body, {{"X-Shopify-Hmac-Sha256", "dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc="}}), at(0)).ok);
    for (const std::string& bad : {std::string("dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhd="),
                                   std::string("dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc"),
                                   std::string("dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc=="),
                                   std::string("dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEP=c="), std::string("!!!!")}) {
        INFO(bad);
        CHECK_FALSE(b64(post(github_body, {{"X-Shopify-Hmac-Sha256", bad}}), at(0)).ok);
    }
    CHECK_FALSE(b64(post(github_body, {}), at(0)).ok);
}

TEST_CASE("unverified and custom verifiers") {
    CHECK(taskkit::http::unverified().scheme() == "unverified");
    CHECK(taskkit::http::unverified()(post("anything", {}), at(0)).ok);
    const taskkit::http::verifier token = [](const webhook_request& req, time_point) {
        return req.header("X-Token") == std::optional<std::string_view>("let-me-in")
                   ? taskkit::http::verification::accept()
                   : taskkit::http::verification::reject("bad X-Token");
    };
    CHECK(token.scheme() == "custom");
    CHECK(token(post("", {{"x-token", "let-me-in"}}), at(0)).ok);
    CHECK(token(post("", {{"X-Token", "nope"}}), at(0)).reason == "bad X-Token");
}

TEST_CASE("webhook_request::header finds the first header of a name, whatever its case") {
    const auto req = post("", {{"Content-Type", "application/json"}, {"X-A", "1"}, {"x-a", "2"}});
    CHECK(req.header("content-type") == std::optional<std::string_view>("application/json"));
    CHECK(req.header("X-A") == std::optional<std::string_view>("1"));
    CHECK_FALSE(req.header("X-B").has_value());
    CHECK_FALSE(req.header("X-A ").has_value());
}
