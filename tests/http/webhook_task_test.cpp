// Webhook tasks and deliver_webhook, without a network: a runtime without workers (run_until_idle)
// on a virtual clock, or with workers and waits with deadlines.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <taskkit/webhook_task.hpp>

#include "support/taskkit_test.hpp"

namespace {

using namespace std::chrono_literals;
using taskkit::http::deliver_webhook;
using taskkit::http::webhook_request;

struct push_event {
    std::string ref;
    int size = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(push_event, ref, size)

struct push_summary {
    std::string ref;
    int commits = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(push_summary, ref, commits)

constexpr const char* secret = "It's a Secret to Everybody";
constexpr const char* push_body = R"({"ref": "refs/heads/main", "size": 3})";

webhook_request signed_push(std::string body = push_body, std::string delivery = "") {
    webhook_request req{.method = "POST",
                        .path = "/webhooks/github",
                        .body = body,
                        .headers = {{"Content-Type", "application/json"},
                                    {"X-Hub-Signature-256", "sha256=" + taskkit::http::hmac_sha256_hex(secret, body)}}};
    if (!delivery.empty()) req.headers.emplace_back("X-GitHub-Delivery", std::move(delivery));
    return req;
}

/// A runtime without worker threads on a virtual clock: runs execute in run_until_idle.
taskkit::runtime_options idle_options(taskkit::registry& reg) {
    auto options = taskkit_test::options(reg, 0, std::make_shared<taskkit::virtual_clock>());
    options.workers = 0;
    return options;
}

struct github_fixture {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::webhook_task<push_event, push_summary> on_push{
        {.id = "on-github-push",
         .path = "/webhooks/github",
         .verify = taskkit::http::github_signature({.secret = secret}),
         .delivery_id_header = "X-GitHub-Delivery",
         .run =
             [this](const push_event& event, taskkit::run_context&) {
                 ++runs;
                 return push_summary{.ref = event.ref, .commits = event.size};
             }},
        reg};
};

std::string code_of(const taskkit::http::webhook_response& r) { return r.body["error"]["code"].get<std::string>(); }

}  // namespace

TEST_CASE("a signed webhook is answered 202 with a run that completes with the decoded payload") {
    github_fixture f;
    taskkit::runtime rt(idle_options(f.reg));
    const auto answer = deliver_webhook(rt, signed_push());
    REQUIRE(answer.has_value());
    CHECK(answer->status == 202);
    const std::string id = answer->body.at("id").get<std::string>();
    CHECK(id.rfind("run_", 0) == 0);
    CHECK(answer->body.at("idempotent") == false);
    CHECK(f.runs.load() == 0);  // answered before the run executes
    rt.run_until_idle();
    CHECK(f.runs.load() == 1);
    const auto record = rt.retrieve(id);
    REQUIRE(record.has_value());
    CHECK(record->task_id == "on-github-push");
    CHECK(record->status == taskkit::run_status::completed);
    CHECK(record->payload == nlohmann::json{{"ref", "refs/heads/main"}, {"size", 3}});
    CHECK(record->output == nlohmann::json{{"ref", "refs/heads/main"}, {"commits", 3}});
    answer->body.dump();  // writable as the server writes it
}

TEST_CASE("a webhook task is a task of kind webhook, with its path and scheme") {
    github_fixture f;
    CHECK(f.on_push.id() == "on-github-push");
    CHECK(f.on_push.path() == "/webhooks/github");
    CHECK(f.on_push.scheme() == "github");
    CHECK(f.on_push.definition()->kind == "webhook");
    REQUIRE(f.reg.contains("on-github-push"));
    const auto endpoints = taskkit::http::webhook_endpoints(f.reg);
    REQUIRE(endpoints.size() == 1);
    CHECK(endpoints[0].path == "/webhooks/github");
    CHECK(endpoints[0].task_id == "on-github-push");
    CHECK(endpoints[0].scheme == "github");
    CHECK(endpoints[0].delivery_id_header == "X-GitHub-Delivery");
    // Triggered directly, like any task.
    taskkit::runtime rt(idle_options(f.reg));
    auto handle = rt.trigger(f.on_push, push_event{.ref = "refs/tags/v1", .size = 0});
    rt.run_until_idle();
    CHECK(handle.get().ref == "refs/tags/v1");
}

TEST_CASE("a bad or missing signature is answered 401 and creates no run") {
    github_fixture f;
    taskkit::runtime rt(idle_options(f.reg));
    auto req = signed_push();
    SECTION("signed with another secret") {
        req.headers[1].second = "sha256=" + taskkit::http::hmac_sha256_hex("not the secret", req.body);
    }
    SECTION("the body changed after signing") { req.body = R"({"ref": "refs/heads/evil", "size": 3})"; }
    SECTION("no signature") { req.headers.erase(req.headers.begin() + 1); }
    SECTION("an empty signature") { req.headers[1].second = ""; }
    const auto answer = deliver_webhook(rt, req);
    REQUIRE(answer.has_value());
    CHECK(answer->status == 401);
    CHECK(code_of(*answer) == "invalid_signature");
    CHECK(answer->body["error"]["details"]["scheme"] == "github");
    CHECK(answer->body["error"]["message"].get<std::string>().find("does not verify") != std::string::npos);
    rt.run_until_idle();
    CHECK(rt.list().runs.empty());
    CHECK(f.runs.load() == 0);
}

TEST_CASE("a body that is not JSON is answered 400 with the byte where it breaks") {
    github_fixture f;
    taskkit::runtime rt(idle_options(f.reg));
    for (const std::string& body : {std::string(R"({"ref": "refs/heads/main", )"), std::string(""),
                                    std::string("payload=%7B%7D"), std::string("{\"ref\": \"\xff\xfe\"}")}) {
        INFO(body);
        const auto answer = deliver_webhook(rt, signed_push(body));
        REQUIRE(answer.has_value());
        CHECK(answer->status == 400);
        CHECK(code_of(*answer) == "invalid_json");
        CHECK(answer->body["error"]["details"].contains("byte"));
        CHECK_NOTHROW(answer->body.dump());  // no invalid UTF-8 from the body leaks into the answer
    }
    CHECK(rt.list().runs.empty());
}

TEST_CASE("a payload that does not decode into the payload type is answered 400 with its paths") {
    github_fixture f;
    taskkit::runtime rt(idle_options(f.reg));
    const auto answer = deliver_webhook(rt, signed_push(R"({"ref": "refs/heads/main", "size": "three"})"));
    REQUIRE(answer.has_value());
    CHECK(answer->status == 400);
    CHECK(code_of(*answer) == "invalid_payload");
    const auto& details = answer->body["error"]["details"];
    CHECK(details["task"] == "on-github-push");
    REQUIRE(details["errors"].is_array());
    REQUIRE_FALSE(details["errors"].empty());
    CHECK(details["errors"][0]["path"] == "/size");
    SECTION("a member missing") {
        const auto missing = deliver_webhook(rt, signed_push(R"({"size": 1})"));
        REQUIRE(missing.has_value());
        CHECK(missing->status == 400);
        CHECK(missing->body["error"]["details"]["errors"][0]["path"] == "/ref");
    }
    SECTION("an array instead of an object") {
        const auto array = deliver_webhook(rt, signed_push("[1, 2, 3]"));
        REQUIRE(array.has_value());
        CHECK(array->status == 400);
        CHECK(code_of(*array) == "invalid_payload");
    }
    SECTION("a payload nested too deep") {
        const std::string deep = std::string(300, '[') + std::string(300, ']');
        const auto answer_deep = deliver_webhook(rt, signed_push(deep));
        REQUIRE(answer_deep.has_value());
        CHECK(answer_deep->status == 400);
        CHECK(code_of(*answer_deep) == "invalid_payload");
    }
    CHECK(rt.list().runs.empty());
}

TEST_CASE("a redelivery with the same delivery id answers the same run, which runs once") {
    github_fixture f;
    taskkit::runtime rt(idle_options(f.reg));
    const auto first = deliver_webhook(rt, signed_push(push_body, "72d3162e-cc78-11e3-81ab-4c9367dc0958"));
    REQUIRE(first.has_value());
    REQUIRE(first->status == 202);
    CHECK(first->body["idempotent"] == false);
    const auto again = deliver_webhook(rt, signed_push(push_body, "72d3162e-cc78-11e3-81ab-4c9367dc0958"));
    REQUIRE(again.has_value());
    CHECK(again->status == 202);
    CHECK(again->body["id"] == first->body["id"]);
    CHECK(again->body["idempotent"] == true);
    rt.run_until_idle();
    // Once it ran, a third delivery still answers the same run.
    const auto late = deliver_webhook(rt, signed_push(push_body, "72d3162e-cc78-11e3-81ab-4c9367dc0958"));
    REQUIRE(late.has_value());
    CHECK(late->body["id"] == first->body["id"]);
    CHECK(late->body["idempotent"] == true);
    rt.run_until_idle();
    CHECK(f.runs.load() == 1);
    CHECK(rt.list().runs.size() == 1);

    // Another delivery id is another run; no delivery id, a new run each time.
    const auto other = deliver_webhook(rt, signed_push(push_body, "a-second-delivery"));
    REQUIRE(other.has_value());
    CHECK(other->body["id"] != first->body["id"]);
    const auto anonymous1 = deliver_webhook(rt, signed_push());
    const auto anonymous2 = deliver_webhook(rt, signed_push());
    REQUIRE(anonymous1.has_value());
    REQUIRE(anonymous2.has_value());
    CHECK(anonymous1->body["id"] != anonymous2->body["id"]);
    CHECK(anonymous2->body["idempotent"] == false);
    rt.run_until_idle();
    CHECK(f.runs.load() == 4);
}

TEST_CASE("a delivery id that could not be an idempotency key is answered 400") {
    github_fixture f;
    taskkit::runtime rt(idle_options(f.reg));
    for (const std::string& bad : {std::string(300, 'a'), std::string("two words"), std::string("\xff\xfe")}) {
        const auto answer = deliver_webhook(rt, signed_push(push_body, bad));
        REQUIRE(answer.has_value());
        CHECK(answer->status == 400);
        CHECK(code_of(*answer) == "invalid_delivery_id");
        CHECK_NOTHROW(answer->body.dump());
    }
    CHECK(rt.list().runs.empty());
}

TEST_CASE("an unknown path is nullopt, a query string is ignored, another method is 405") {
    github_fixture f;
    taskkit::runtime rt(idle_options(f.reg));
    auto req = signed_push();
    req.path = "/webhooks/gitlab";
    CHECK_FALSE(deliver_webhook(rt, req).has_value());
    req.path = "/webhooks/github/";
    CHECK_FALSE(deliver_webhook(rt, req).has_value());
    req.path = "/webhooks/github?source=test";
    const auto with_query = deliver_webhook(rt, req);
    REQUIRE(with_query.has_value());
    CHECK(with_query->status == 202);
    req.path = "/webhooks/github";
    req.method = "GET";
    const auto get = deliver_webhook(rt, req);
    REQUIRE(get.has_value());
    CHECK(get->status == 405);
    CHECK(code_of(*get) == "method_not_allowed");
    rt.run_until_idle();
    CHECK(rt.list().runs.size() == 1);
}

TEST_CASE("a stopped runtime answers 503 and creates nothing") {
    github_fixture f;
    taskkit::runtime rt(idle_options(f.reg));
    rt.shutdown();
    const auto answer = deliver_webhook(rt, signed_push());
    REQUIRE(answer.has_value());
    CHECK(answer->status == 503);
    CHECK(code_of(*answer) == "runtime_stopped");
}

TEST_CASE("a second webhook task on the same path throws options_error, and its task is not registered") {
    github_fixture f;
    auto second = [&] {
        taskkit::webhook_task<push_event> other({.id = "other-push",
                                                 .path = "/webhooks/github",
                                                 .verify = taskkit::http::unverified(),
                                                 .run = [](const push_event&) {}},
                                                f.reg);
    };
    CHECK_THROWS_AS(second(), taskkit::options_error);
    CHECK_FALSE(f.reg.contains("other-push"));
    // A taken id throws duplicate_task_error and leaves the first task's path alone.
    auto same_id = [&] {
        taskkit::webhook_task<push_event> other({.id = "on-github-push",
                                                 .path = "/webhooks/elsewhere",
                                                 .verify = taskkit::http::unverified(),
                                                 .run = [](const push_event&) {}},
                                                f.reg);
    };
    CHECK_THROWS_AS(same_id(), taskkit::duplicate_task_error);
    REQUIRE(taskkit::http::webhook_endpoints(f.reg).size() == 1);
    CHECK(taskkit::http::webhook_endpoints(f.reg)[0].task_id == "on-github-push");
}

TEST_CASE("destroying a webhook task frees its path") {
    taskkit::registry reg;
    taskkit::runtime rt(idle_options(reg));
    {
        taskkit::webhook_task<push_event> first(
            {.id = "first", .path = "/hook", .verify = taskkit::http::unverified(), .run = [](const push_event&) {}},
            reg);
        CHECK(deliver_webhook(rt, {.method = "POST", .path = "/hook", .body = push_body}).has_value());
    }
    CHECK_FALSE(deliver_webhook(rt, {.method = "POST", .path = "/hook", .body = push_body}).has_value());
    CHECK_FALSE(reg.contains("first"));
    taskkit::webhook_task<push_event> second(
        {.id = "second", .path = "/hook", .verify = taskkit::http::unverified(), .run = [](const push_event&) {}}, reg);
    const auto answer = deliver_webhook(rt, {.method = "POST", .path = "/hook", .body = push_body});
    REQUIRE(answer.has_value());
    CHECK(answer->status == 202);
    CHECK(rt.retrieve(answer->body["id"].get<std::string>())->task_id == "second");
}

TEST_CASE("a webhook task needs a verifier and a path that starts with a slash") {
    taskkit::registry reg;
    auto make = [&](std::string path, taskkit::http::verifier verify) {
        taskkit::webhook_task<push_event> t(
            {.id = "hook", .path = std::move(path), .verify = std::move(verify), .run = [](const push_event&) {}}, reg);
    };
    CHECK_THROWS_AS(make("/hook", {}), taskkit::options_error);
    CHECK_THROWS_AS(make("hook", taskkit::http::unverified()), taskkit::options_error);
    CHECK_THROWS_AS(make("", taskkit::http::unverified()), taskkit::options_error);
    CHECK_THROWS_AS(make("/hook?x=1", taskkit::http::unverified()), taskkit::options_error);
    CHECK_THROWS_AS(make("/ho ok", taskkit::http::unverified()), taskkit::options_error);
    for (const char* server_path : {"/", "/api", "/api/v1/webhook", "/metrics", "/assets/hook.js"}) {
        INFO(server_path);
        CHECK_THROWS_AS(make(server_path, taskkit::http::unverified()), taskkit::options_error);
    }
    try {
        make("/hook", {});
    } catch (const taskkit::options_error& e) {
        CHECK(std::string(e.what()).find("taskkit::http::unverified()") != std::string::npos);
    }
    CHECK(reg.ids().empty());
    CHECK(taskkit::http::webhook_endpoints(reg).empty());
    CHECK_NOTHROW(make("/hook", taskkit::http::unverified()));
}

TEST_CASE("to_trigger_options tags a run from the request's headers") {
    taskkit::registry reg;
    taskkit::webhook_task<push_event> t({.id = "tagged",
                                         .path = "/hook",
                                         .verify = taskkit::http::unverified(),
                                         .to_trigger_options =
                                             [](const webhook_request& req) {
                                                 taskkit::trigger_options o;
                                                 if (auto event = req.header("X-GitHub-Event"))
                                                     o.tags.push_back("event:" + std::string(*event));
                                                 if (req.header("X-Fail"))
                                                     throw std::runtime_error("no options for you");
                                                 return o;
                                             },
                                         .run = [](const push_event&) {}},
                                        reg);
    taskkit::runtime rt(idle_options(reg));
    const auto answer = deliver_webhook(
        rt, {.method = "POST", .path = "/hook", .body = push_body, .headers = {{"X-GitHub-Event", "push"}}});
    REQUIRE(answer.has_value());
    REQUIRE(answer->status == 202);
    const auto record = rt.retrieve(answer->body["id"].get<std::string>());
    REQUIRE(record.has_value());
    CHECK(record->tags == std::vector<std::string>{"event:push"});

    const auto failing =
        deliver_webhook(rt, {.method = "POST", .path = "/hook", .body = push_body, .headers = {{"X-Fail", "1"}}});
    REQUIRE(failing.has_value());
    CHECK(failing->status == 400);
    CHECK(code_of(*failing) == "invalid_options");
    const auto too_long = deliver_webhook(
        rt,
        {.method = "POST", .path = "/hook", .body = push_body, .headers = {{"X-GitHub-Event", std::string(200, 'x')}}});
    REQUIRE(too_long.has_value());
    CHECK(too_long->status == 400);
    CHECK(code_of(*too_long) == "invalid_options");
    rt.run_until_idle();
    CHECK(rt.list().runs.size() == 1);
}

TEST_CASE("the verifier sees the runtime's clock") {
    taskkit::registry reg;
    constexpr const char* stripe_secret = "whsec_test_secret";
    taskkit::webhook_task<nlohmann::json> t({.id = "stripe-events",
                                             .path = "/webhooks/stripe",
                                             .verify = taskkit::http::stripe_signature({.secret = stripe_secret}),
                                             .run = [](const nlohmann::json&) {}},
                                            reg);
    auto clock = std::make_shared<taskkit::virtual_clock>();
    auto opts = taskkit_test::options(reg, 0, clock);
    opts.workers = 0;
    taskkit::runtime rt(opts);
    const auto t_now = std::chrono::floor<std::chrono::seconds>(clock->now()).time_since_epoch().count();
    const std::string body = R"({"id": "evt_1", "type": "charge.succeeded"})";
    const std::string header = "t=" + std::to_string(t_now) + ",v1=" +
                               taskkit::http::hmac_sha256_hex(stripe_secret, std::to_string(t_now) + "." + body);
    const webhook_request req{
        .method = "POST", .path = "/webhooks/stripe", .body = body, .headers = {{"Stripe-Signature", header}}};
    const auto fresh = deliver_webhook(rt, req);
    REQUIRE(fresh.has_value());
    CHECK(fresh->status == 202);
    clock->advance(6min);  // the same request, replayed later
    const auto replayed = deliver_webhook(rt, req);
    REQUIRE(replayed.has_value());
    CHECK(replayed->status == 401);
    CHECK(replayed->body["error"]["details"]["scheme"] == "stripe");
    rt.run_until_idle();
    CHECK(rt.list().runs.size() == 1);
}

TEST_CASE("deliveries from many threads at once on a runtime with workers create one run per delivery id") {
    github_fixture f;
    taskkit::runtime rt(taskkit_test::options(f.reg, 2));
    constexpr int threads = 4;
    constexpr int per_thread = 25;
    std::vector<std::vector<std::optional<taskkit::http::webhook_response>>> answers(threads);
    {
        std::vector<std::jthread> senders;
        for (int i = 0; i < threads; ++i)
            senders.emplace_back([&, i] {
                for (int j = 0; j < per_thread; ++j)
                    answers[static_cast<std::size_t>(i)].push_back(
                        deliver_webhook(rt, signed_push(push_body, "delivery-" + std::to_string(j))));
            });
    }
    std::set<std::string> ids;
    int fresh = 0;
    for (const auto& list : answers)
        for (const auto& a : list) {
            REQUIRE(a.has_value());
            REQUIRE(a->status == 202);
            ids.insert(a->body["id"].get<std::string>());
            if (a->body["idempotent"] == false) ++fresh;
        }
    CHECK(ids.size() == per_thread);
    CHECK(fresh == per_thread);
    CHECK(taskkit_test::eventually([&] { return f.runs.load() == per_thread; }));
    for (const auto& id : ids) {
        auto handle = rt.handle(id);
        REQUIRE(handle.has_value());
        CHECK(handle->wait_for(taskkit_test::deadline));
    }
    CHECK(f.runs.load() == per_thread);
}

namespace {
struct new_user {
    std::string name;
    int age = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(new_user, name, age)

nlohmann::json user_schema() {
    return R"({"type": "object",
               "properties": {"name": {"type": "string", "minLength": 1},
                              "age": {"type": "integer", "minimum": 0, "maximum": 150}},
               "required": ["name", "age"]})"_json;
}

/// A webhook task with a schema, or null when taskkit::http was built without taskkit::schema.
std::unique_ptr<taskkit::webhook_task<new_user>> user_hook(taskkit::registry& reg, std::atomic<int>& runs) {
    try {
        return std::make_unique<taskkit::webhook_task<new_user>>(
            taskkit::webhook_task_options<new_user>{.id = "user-created",
                                                    .schema = user_schema(),
                                                    .path = "/webhooks/users",
                                                    .verify = taskkit::http::unverified(),
                                                    .run = [&runs](const new_user&) { ++runs; }},
            reg);
    } catch (const taskkit::options_error& e) {
        if (std::string(e.what()).find("built without taskkit::schema") == std::string::npos) throw;
        return nullptr;
    }
}
}  // namespace

TEST_CASE("a webhook task with a schema answers a violating body 400 with each violation's JSON Pointer") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    auto hook = user_hook(reg, runs);
    if (!hook) {
        WARN("taskkit::http is built without taskkit::schema: schema validation not tested");
        return;
    }
    CHECK(reg.schema("user-created") == user_schema());
    CHECK(hook->definition()->kind == "webhook");
    taskkit::runtime rt(idle_options(reg));
    const auto bad =
        deliver_webhook(rt, {.method = "POST", .path = "/webhooks/users", .body = R"({"name": "", "age": 200})"});
    REQUIRE(bad.has_value());
    CHECK(bad->status == 400);
    CHECK(code_of(*bad) == "validation_failed");
    const auto& errors = bad->body["error"]["details"]["errors"];
    REQUIRE(errors.size() == 2);
    std::set<std::string> paths;
    for (const auto& e : errors) paths.insert(e["path"].get<std::string>());
    CHECK(paths == std::set<std::string>{"/name", "/age"});
    for (const auto& e : errors) {
        if (e["path"] == "/age") {
            CHECK(e["keyword"] == "maximum");
            CHECK(e["schema_path"] == "/properties/age/maximum");
        }
    }
    const auto good =
        deliver_webhook(rt, {.method = "POST", .path = "/webhooks/users", .body = R"({"name": "Ada", "age": 36})"});
    REQUIRE(good.has_value());
    CHECK(good->status == 202);
    rt.run_until_idle();
    CHECK(runs.load() == 1);
    CHECK(rt.list().runs.size() == 1);
    // A typed trigger is checked against the schema too.
    CHECK_THROWS_AS(hook->trigger({.name = "", .age = 1}), taskkit::error);
}

TEST_CASE("a webhook task with a schema that is not valid draft-07 registers nothing") {
    taskkit::registry reg;
    try {
        taskkit::webhook_task<new_user> t({.id = "bad-schema",
                                           .schema = R"({"type": "no-such-type"})"_json,
                                           .path = "/webhooks/bad",
                                           .verify = taskkit::http::unverified(),
                                           .run = [](const new_user&) {}},
                                          reg);
        FAIL("the task was defined");
    } catch (const taskkit::error& e) {
        CHECK(e.code() == taskkit::error_code::invalid_options);
    }
    CHECK_FALSE(reg.contains("bad-schema"));
    CHECK(taskkit::http::webhook_endpoints(reg).empty());
}
