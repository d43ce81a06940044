// Webhook tasks through the real server on loopback (port 0): signatures, answers and idempotent
// redelivery over HTTP.
#include <atomic>
#include <chrono>
#include <string>

#include <taskkit/webhook_task.hpp>

#include "http/http_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using taskkit_http_test::answer;
using taskkit_http_test::fixture;

struct push_event {
    std::string ref;
    int size = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(push_event, ref, size)

constexpr const char* secret = "It's a Secret to Everybody";
constexpr const char* stripe_secret = "whsec_test_secret";
constexpr const char* push_body = R"({"ref": "refs/heads/main", "size": 3})";

/// A GitHub and a Stripe webhook task on a registry of their own, declared before the server's
/// fixture so that they outlive its runtime.
struct webhook_tasks {
    taskkit::registry tasks_reg;
    std::atomic<int> pushes{0};
    std::atomic<int> events{0};
    taskkit::webhook_task<push_event, int> on_push{{.id = "on-github-push",
                                                    .path = "/webhooks/github",
                                                    .verify = taskkit::http::github_signature({.secret = secret}),
                                                    .delivery_id_header = "X-GitHub-Delivery",
                                                    .run =
                                                        [this](const push_event& e) {
                                                            ++pushes;
                                                            return e.size;
                                                        }},
                                                   tasks_reg};
    taskkit::webhook_task<nlohmann::json> on_stripe{
        {.id = "on-stripe-event",
         .path = "/webhooks/stripe",
         .verify = taskkit::http::stripe_signature({.secret = stripe_secret, .tolerance = 5min}),
         .run = [this](const nlohmann::json&) { ++events; }},
        tasks_reg};
};

/// A server over a runtime with two workers on the webhook tasks' registry.
struct webhook_fixture : webhook_tasks, fixture {
    webhook_fixture() : fixture(tasks_reg) {}

    /// Posts `body` to a webhook path with these headers and no bearer token (senders have none).
    answer post(const std::string& path, const std::string& body, httplib::Headers headers) const {
        return http("").request("POST", path, body, "application/json", std::move(headers), false);
    }
    answer push(const std::string& body = push_body, const std::string& delivery = "") const {
        httplib::Headers h{{"X-GitHub-Event", "push"},
                           {"X-Hub-Signature-256", "sha256=" + taskkit::http::hmac_sha256_hex(secret, body)}};
        if (!delivery.empty()) h.emplace("X-GitHub-Delivery", delivery);
        return post("/webhooks/github", body, std::move(h));
    }
    /// Waits (with a deadline) for the run to end; its record.
    std::optional<taskkit::run_record> finished(const std::string& id) {
        auto handle = rt.handle(id);
        if (!handle || !handle->wait_for(taskkit_test::deadline)) return std::nullopt;
        return rt.retrieve(id);
    }
};

std::string stripe_header(long long t, const std::string& body) {
    return "t=" + std::to_string(t) +
           ",v1=" + taskkit::http::hmac_sha256_hex(stripe_secret, std::to_string(t) + "." + body);
}

long long unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

TEST_CASE("over HTTP a signed GitHub push is answered 202 and its run completes with the payload") {
    webhook_fixture f;
    const auto a = f.push();
    REQUIRE(a.status == 202);
    CHECK(a.json_body["idempotent"] == false);
    const std::string id = a.json_body["id"].get<std::string>();
    CHECK(id.rfind("run_", 0) == 0);
    const auto record = f.finished(id);
    REQUIRE(record.has_value());
    CHECK(record->status == taskkit::run_status::completed);
    CHECK(record->payload == nlohmann::json{{"ref", "refs/heads/main"}, {"size", 3}});
    CHECK(record->output == 3);
    CHECK(f.pushes.load() == 1);
    // The run is visible through the API like any other.
    const auto api = f.http().get("/api/v1/runs/" + id);
    CHECK(api.status == 200);
}

TEST_CASE("over HTTP a bad or missing GitHub signature is 401 and creates no run") {
    webhook_fixture f;
    const auto forged =
        f.post("/webhooks/github", push_body,
               {{"X-Hub-Signature-256", "sha256=" + taskkit::http::hmac_sha256_hex("guess", push_body)}});
    CHECK(forged.status == 401);
    CHECK(forged.error_code() == "invalid_signature");
    const auto missing = f.post("/webhooks/github", push_body, {});
    CHECK(missing.status == 401);
    CHECK(missing.error_code() == "invalid_signature");
    CHECK(missing.json_body["error"]["details"]["reason"] == "no X-Hub-Signature-256 header");
    CHECK(f.rt.list().runs.empty());
}

TEST_CASE("over HTTP malformed JSON and a payload of the wrong type are 400") {
    webhook_fixture f;
    const auto broken = f.push(R"({"ref": )");
    CHECK(broken.status == 400);
    CHECK(broken.error_code() == "invalid_json");
    const auto wrong = f.push(R"({"ref": "refs/heads/main", "size": "three"})");
    CHECK(wrong.status == 400);
    CHECK(wrong.error_code() == "invalid_payload");
    CHECK(wrong.json_body["error"]["details"]["errors"][0]["path"] == "/size");
    CHECK(f.rt.list().runs.empty());
}

TEST_CASE("over HTTP a redelivery with the same delivery id answers the same run, which runs once") {
    webhook_fixture f;
    const auto first = f.push(push_body, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    REQUIRE(first.status == 202);
    const std::string id = first.json_body["id"].get<std::string>();
    REQUIRE(f.finished(id).has_value());
    const auto again = f.push(push_body, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    CHECK(again.status == 202);
    CHECK(again.json_body["id"] == id);
    CHECK(again.json_body["idempotent"] == true);
    CHECK(f.pushes.load() == 1);
    CHECK(f.rt.list().runs.size() == 1);
}

TEST_CASE("over HTTP a Stripe event within the tolerance is taken, one replayed outside it is 401") {
    webhook_fixture f;
    const std::string body = R"({"id": "evt_1", "type": "charge.succeeded"})";
    const auto fresh = f.post("/webhooks/stripe", body, {{"Stripe-Signature", stripe_header(unix_now(), body)}});
    REQUIRE(fresh.status == 202);
    REQUIRE(f.finished(fresh.json_body["id"].get<std::string>()).has_value());
    // Signed ten minutes ago (a captured request replayed now): the signature is good, the time is not.
    const auto replayed =
        f.post("/webhooks/stripe", body, {{"Stripe-Signature", stripe_header(unix_now() - 600, body)}});
    CHECK(replayed.status == 401);
    CHECK(replayed.error_code() == "invalid_signature");
    CHECK(replayed.json_body["error"]["details"]["scheme"] == "stripe");
    const auto unsigned_event = f.post("/webhooks/stripe", body, {});
    CHECK(unsigned_event.status == 401);
    CHECK(f.events.load() == 1);
    CHECK(f.rt.list().runs.size() == 1);
}

TEST_CASE("over HTTP a GET on a webhook path is 405 and an unknown path is 404") {
    webhook_fixture f;
    const auto get = f.http("").request("GET", "/webhooks/github", "", "application/json", {}, false);
    CHECK(get.status == 405);
    CHECK(get.error_code() == "method_not_allowed");
    const auto unknown = f.post("/webhooks/gitlab", push_body, {});
    CHECK(unknown.status == 404);
    CHECK(f.rt.list().runs.empty());
}
