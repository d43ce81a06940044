// POST /api/v1/tasks/{id}/trigger with the debounce and idempotency_scope options: triggers with
// one debounce key answer one delayed run (trailing: with the last payload), and bad values are
// refused with their paths.
#include "http_test_support.hpp"

using namespace taskkit_http_test;

TEST_CASE("debounced triggers through the API answer one delayed run") {
    taskkit::registry reg;
    taskkit::task<json> t({.id = "t", .run = [](const json&) {}}, reg);
    fixture f(reg);
    const auto c = f.http();
    std::string id;
    for (int i = 0; i < 5; ++i) {
        const json body{
            {"payload", {{"n", i}}},
            {"options",
             {{"debounce", {{"key", "site-1"}, {"delay", "PT1H"}, {"max_delay", "PT2H"}, {"mode", "trailing"}}},
              {"idempotency_key", "k-" + std::to_string(i)},
              {"idempotency_scope", "global"}}}};
        auto a = c.post("/api/v1/tasks/t/trigger", body);
        REQUIRE(a.status == 202);
        if (i == 0) {
            id = a.json_body["id"].get<std::string>();
            CHECK(a.json_body["cached"] == false);
        } else {
            CHECK(a.json_body["id"] == id);
            CHECK(a.json_body["cached"] == true);
        }
    }
    auto r = f.rt.retrieve(id);
    REQUIRE(r);
    CHECK(r->status == taskkit::run_status::delayed);
    CHECK(r->payload == json{{"n", 4}});
    CHECK(taskkit_test::held_runs(f.rt) == 1);
    CHECK(f.rt.cancel(id));
}

TEST_CASE("bad debounce and idempotency_scope options are refused with their paths") {
    taskkit::registry reg;
    taskkit::task<json> t({.id = "t", .run = [](const json&) {}}, reg);
    fixture f(reg);
    const auto c = f.http();
    const auto refused = [&](const json& options, const std::string& path) {
        auto a = c.post("/api/v1/tasks/t/trigger", json{{"payload", 1}, {"options", options}});
        INFO(options.dump() + " -> " + a.body);
        CHECK(a.status == 400);
        CHECK(a.error_code() == "validation_failed");
        bool found = false;
        for (const auto& d : a.json_body["error"]["details"])
            if (d["path"] == path) found = true;
        CHECK(found);
    };
    refused({{"debounce", "site-1"}}, "/options/debounce");
    refused({{"debounce", {{"key", "k"}, {"colour", "red"}}}}, "/options/debounce/colour");
    refused({{"debounce", {{"key", "k"}, {"delay", "soon"}}}}, "/options/debounce/delay");
    refused({{"debounce", {{"key", "k"}, {"delay", 1000}, {"mode", "sideways"}}}}, "/options/debounce/mode");
    refused({{"debounce", {{"key", ""}, {"delay", 1000}}}}, "/options");
    refused({{"debounce", {{"key", "k"}}}}, "/options");
    refused({{"debounce", {{"key", "k"}, {"delay", 5000}, {"max_delay", 1000}}}}, "/options");
    refused({{"debounce", {{"key", "k"}, {"delay", 5000}}}, {"delay", 1000}}, "/options");
    refused({{"idempotency_scope", "planet"}, {"idempotency_key", "k"}}, "/options/idempotency_scope");
    refused({{"idempotency_scope", "run"}}, "/options");  // a scope needs a key
    CHECK(taskkit_test::held_runs(f.rt) == 0);
}
