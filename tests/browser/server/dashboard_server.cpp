// The program the dashboard's browser test drives: a runtime with a few tasks and the HTTP server
// on loopback. It prints one JSON line on stdout, {"port": …, "token": "…", "url": "…",
// "schema": true|false, "schedules": true|false}, then serves until its standard input closes or
// it gets SIGINT or SIGTERM.
//
//   say-hello      completes with an output ({"greeting": …}) after a short while, logging a line
//   always-fails   throws on every attempt (3 attempts, 100 ms apart), each error naming its attempt
//   create-user    a schema task: name and email required, age an integer from 0 to 150 (with
//                  taskkit::schema only)
//   send-email     on the queue "emails" (limit 2), the queue the test pauses and resumes
//   fan-out        triggers two say-hello children and waits for them (parent and children links)
//   nightly-report a scheduled task, 02:00 in Europe/Berlin (with taskkit::cron only)
//
// Run by hand (`dashboard_server`), it is a dashboard to look at: open the printed URL with
// ?token=… in a browser.
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include <fmt/format.h>

#include <taskkit/http.hpp>
#include <taskkit/taskkit.hpp>

#if TASKKIT_BROWSER_SCHEMA
#include <taskkit/schema_task.hpp>
#endif
#if TASKKIT_BROWSER_SCHEDULES
#include <taskkit/schedule.hpp>
#endif

using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_signal(int) { stop_requested = true; }

std::string random_token() {
    std::random_device device;
    std::string token;
    constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    for (int i = 0; i < 32; ++i) token += alphabet[pick(device)];
    return token;
}

/// Waits until stdin reaches its end (or fails) or a signal asks to stop.
void wait_for_end() {
    char buffer[256];
    while (!stop_requested) {
        pollfd fd{.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
        const int ready = ::poll(&fd, 1, 200);
        if (ready < 0) continue;  // EINTR: look at the flag again
        if (ready == 0) continue;
        const auto n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n <= 0) return;
    }
}

}  // namespace

struct hello_payload {
    std::string name;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(hello_payload, name)

inline const taskkit::task<hello_payload, json> say_hello({
    .id = "say-hello",
    .description = "Greets someone after a short pause",
    .run =
        [](const hello_payload& payload, taskkit::run_context& ctx) {
            ctx.logger().info("greeting {}", payload.name);
            std::this_thread::sleep_for(150ms);
            json out(json::value_t::object);
            out["greeting"] = "Hello, " + payload.name + "!";
            out["length"] = payload.name.size();
            return out;
        },
});

inline const taskkit::task<json> always_fails({
    .id = "always-fails",
    .description = "Calls an upstream that is always down",
    .retry = {.max_attempts = 3, .factor = 1.0, .min_timeout = 100ms, .max_timeout = 100ms, .randomize = false},
    .run =
        [](const json&, taskkit::run_context& ctx) {
            ctx.logger().warn("calling the upstream (attempt {})", ctx.attempt().number);
            throw std::runtime_error(fmt::format("upstream answered 503 on attempt {}", ctx.attempt().number));
        },
});

inline const taskkit::task<json> send_email({
    .id = "send-email",
    .description = "Sends one email",
    .queue = {.name = "emails", .concurrency_limit = 2},
    .machine = taskkit::machines::micro,
    .run = [](const json& payload,
              taskkit::run_context& ctx) { ctx.logger().info("sending to {}", payload.value("to", "nobody")); },
});

inline const taskkit::task<json, int> fan_out({
    .id = "fan-out",
    .description = "Greets two people through child runs",
    .run =
        [](const json&, taskkit::run_context& ctx) {
            auto a = say_hello.trigger_and_wait({.name = "Ada"});
            auto b = say_hello.trigger_and_wait({.name = "Grace"});
            ctx.logger().info("children done: {} {}", a.ok(), b.ok());
            return 2;
        },
});

// Waits for a person's approval on a waitpoint token it makes (the run page shows which), writing
// its progress to a stream and its metadata as it goes.
inline const taskkit::task<json, std::string> await_approval({
    .id = "await-approval",
    .description = "Drafts a change and waits for a person to approve it",
    .run =
        [](const json& payload, taskkit::run_context& ctx) {
            ctx.stream("progress").append("drafted " + payload.value("change", std::string("a change")));
            ctx.metadata().set("stage", "awaiting approval");
            const auto token = ctx.create_token({.tags = {"approval"}});
            auto answer = ctx.wait_for_token<json>(token);
            const auto by = answer.ok() ? answer.output().value("by", std::string("someone")) : std::string("nobody");
            ctx.stream("progress").append("approved by " + by);
            ctx.metadata().set("stage", "approved");
            ctx.stream("progress").append("applied");
            return "approved by " + by;
        },
});

#if TASKKIT_BROWSER_SCHEMA
inline const taskkit::schema_task<json, std::string> create_user({
    .id = "create-user",
    .description = "Creates a user account",
    .schema = R"({
      "type": "object",
      "properties": {
        "name": {"type": "string", "minLength": 1, "examples": ["Ada Lovelace"]},
        "email": {"type": "string", "pattern": "^[^@]+@[^@]+$", "examples": ["ada@example.com"]},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "plan": {"enum": ["free", "pro", "team"], "default": "free"},
        "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
                    "required": ["city"]},
        "roles": {"type": "array", "items": {"type": "string"}}
      },
      "required": ["name", "email", "age", "address"],
      "additionalProperties": false
    })"_json,
    .run = [](const json& user, taskkit::run_context&) { return "created " + user.value("name", std::string("?")); },
});
#endif

#if TASKKIT_BROWSER_SCHEDULES
inline const taskkit::scheduled_task nightly_report({
    .id = "nightly-report",
    .cron = taskkit::cron_options{.pattern = "0 2 * * *", .timezone = "Europe/Berlin"},
    .description = "Builds the nightly report",
    .run = [](const taskkit::schedule_payload&, taskkit::run_context& ctx) { ctx.logger().info("report"); },
});
#endif

int main(int argc, char** argv) {
    bool seed = true;
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]) == "--no-seed") seed = false;

    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    taskkit::runtime rt({.workers = 2, .log_sink = taskkit::null_log_sink(), .shutdown_grace = 2s});
#if TASKKIT_BROWSER_SCHEDULES
    (void)taskkit::schedules(rt).create(
        {.task = "nightly-report", .cron = "30 8 * * 1-5", .timezone = "Asia/Tokyo", .external_id = "tokyo-office"});
#endif
    if (seed) {
        // A few runs so that the lists are not empty when the page opens.
        (void)rt.trigger("say-hello", json{{"name", "world"}}, {.tags = {"seed"}});
        (void)rt.trigger("send-email", json{{"to", "ada@example.com"}}, {.tags = {"seed", "user_42"}});
        (void)rt.trigger("fan-out", json(json::value_t::object), {.tags = {"seed"}});
    }

    const std::string token = random_token();
    taskkit::http::server srv(rt, {.host = "127.0.0.1", .port = 0, .token = token});
    srv.start();

    json hello(json::value_t::object);
    hello["port"] = srv.port();
    hello["token"] = token;
    hello["url"] = srv.url();
    hello["schema"] = TASKKIT_BROWSER_SCHEMA != 0;
    hello["schedules"] = TASKKIT_BROWSER_SCHEDULES != 0;
    std::fputs((hello.dump() + "\n").c_str(), stdout);
    std::fflush(stdout);

    wait_for_end();
    srv.stop();
    rt.shutdown();
    return 0;
}
