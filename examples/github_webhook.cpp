// A webhook task verified with GitHub's signature: the HTTP server on loopback takes a signed push
// event, answers 202 with the run's id before the run executes, answers a redelivery with the same
// run, and refuses a forged request with 401.
#include <httplib.h>  // the sender's side (GitHub's, here): any HTTP client does

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <taskkit/http.hpp>
#include <taskkit/webhook_task.hpp>

using json = nlohmann::json;

// The part of GitHub's push event this task reads (the rest of the body is ignored).
struct commit {
    std::string id;
    std::string message;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(commit, id, message)
struct repository_info {
    std::string full_name;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(repository_info, full_name)
struct github_push {
    std::string ref;
    repository_info repository;
    std::vector<commit> commits;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(github_push, ref, repository, commits)

struct push_summary {
    std::string repository;
    std::string branch;
    std::size_t commits = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(push_summary, repository, branch, commits)

// The secret configured on GitHub's webhook page; the example falls back to GitHub's documented one.
std::string webhook_secret() {
    const char* s = std::getenv("GITHUB_WEBHOOK_SECRET");
    return s != nullptr && *s != '\0' ? s : "It's a Secret to Everybody";
}

inline const taskkit::webhook_task<github_push, push_summary> on_push({
    .id = "on-github-push",
    .path = "/webhooks/github",
    .verify = taskkit::http::github_signature({.secret = webhook_secret()}),
    .delivery_id_header = "X-GitHub-Delivery",
    .to_trigger_options =
        [](const taskkit::http::webhook_request& req) {
            taskkit::trigger_options options;
            if (auto event = req.header("X-GitHub-Event")) options.tags = {"github:" + std::string(*event)};
            return options;
        },
    .run =
        [](const github_push& event, taskkit::run_context& ctx) {
            const std::string branch = event.ref.substr(event.ref.rfind('/') + 1);
            for (const auto& c : event.commits) ctx.logger().info("{} {}", c.id.substr(0, 7), c.message);
            return push_summary{
                .repository = event.repository.full_name, .branch = branch, .commits = event.commits.size()};
        },
});

int main() {
    taskkit::runtime rt({.workers = 2});
    taskkit::http::server srv(rt, {.port = 0, .token = "example-token"});
    srv.start();

    // What GitHub sends: the raw body, signed with the shared secret.
    const std::string body = json{
        {"ref", "refs/heads/main"},
        {"repository", {{"full_name", "octo-org/hello-world"}}},
        {"commits",
         {{{"id", "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}, {"message", "Fix the README"}},
          {{"id", "6dcb09b5b57875f334f61aebed695e2e4193db5e"}, {"message", "Add tests"}}}},
        {"pusher",
         {{"name", "octocat"}}}}.dump();
    const httplib::Headers headers = {
        {"X-GitHub-Event", "push"},
        {"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
        {"X-Hub-Signature-256", "sha256=" + taskkit::http::hmac_sha256_hex(webhook_secret(), body)}};

    httplib::Client client("127.0.0.1", srv.port());
    client.set_read_timeout(30);
    auto posted = client.Post("/webhooks/github", headers, body, "application/json");
    if (!posted) {
        std::cerr << "the server did not answer\n";
        return 1;
    }
    std::cout << "POST /webhooks/github: " << posted->status << " " << posted->body << "\n";
    const std::string run_id = json::parse(posted->body).at("id").get<std::string>();

    auto handle = rt.handle(run_id);
    if (!handle || !handle->wait_for(std::chrono::seconds(30))) {
        std::cerr << "the run did not finish\n";
        return 1;
    }
    const auto record = rt.retrieve(run_id);
    std::cout << "run " << taskkit::to_string(record->status) << " with tags " << json(record->tags).dump()
              << ", output " << record->output.dump() << "\n";

    // GitHub redelivers with the same delivery id: the same run answers, and nothing runs again.
    auto again = client.Post("/webhooks/github", headers, body, "application/json");
    const bool same_run = json::parse(again->body).at("id") == run_id;
    std::cout << "redelivered: " << again->status << " " << again->body
              << (same_run ? " (the same run)" : " (another run!)") << "\n";

    // A request signed with another secret creates nothing.
    httplib::Headers forged = headers;
    forged.erase("X-Hub-Signature-256");
    forged.emplace("X-Hub-Signature-256", "sha256=" + taskkit::http::hmac_sha256_hex("a guess", body));
    auto refused = client.Post("/webhooks/github", forged, body, "application/json");
    std::cout << "forged: " << refused->status << " " << json::parse(refused->body)["error"]["code"].get<std::string>()
              << "\n";
    std::cout << "runs: " << rt.list().runs.size() << "\n";
}
