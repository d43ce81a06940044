// schema_task: payloads that match a loose schema but do not decode, with the paths that fail;
// hostile input through the trigger.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "schema_task/schema_task_support.hpp"

using namespace taskkit_test;
using namespace schema_task_test;

namespace {
struct address {
    std::string street;
    int zip = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(address, street, zip)

struct line {
    std::string sku;
    int quantity = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(line, sku, quantity)

struct order {
    std::string customer;
    address ship_to;
    std::vector<line> lines;
    std::optional<double> discount;
    std::vector<std::string> tags;
};
// An empty discount is null (nlohmann has no std::optional support of its own before 3.11.3).
void to_json(json& j, const order& o) {
    j = json{{"customer", o.customer}, {"ship_to", o.ship_to}, {"lines", o.lines}, {"tags", o.tags}};
    j["discount"] = o.discount ? json(*o.discount) : json(nullptr);
}
void from_json(const json& j, order& o) {
    j.at("customer").get_to(o.customer);
    j.at("ship_to").get_to(o.ship_to);
    j.at("lines").get_to(o.lines);
    const json& discount = j.at("discount");
    o.discount = discount.is_null() ? std::nullopt : std::optional<double>(discount.get<double>());
    j.at("tags").get_to(o.tags);
}

/// Not default-constructible: the decode helper has no reference value for it.
struct token {
    explicit token(std::string v) : value(std::move(v)) {}
    std::string value;
};

/// to_json leaves out an empty note, but from_json requires it: the typed path catches that.
struct lopsided {
    std::optional<std::string> note;
};
void to_json(json& j, const lopsided& l) {
    j = json::object();
    if (l.note) j["note"] = *l.note;
}
void from_json(const json& j, lopsided& l) { l.note = j.at("note").get<std::string>(); }

std::string payload_error_text(const std::function<void()>& trigger) {
    try {
        trigger();
    } catch (const taskkit::payload_error& e) {
        CHECK(e.code() == taskkit::error_code::invalid_payload);
        return e.what();
    }
    FAIL("no payload_error");
    return {};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

namespace nlohmann {
template <>
struct adl_serializer<token> {
    static token from_json(const json& j) { return token(j.at("value").get<std::string>()); }
    static void to_json(json& j, const token& t) { j = json{{"value", t.value}}; }
};
}  // namespace nlohmann

TEST_CASE("a payload that matches a loose schema but does not decode is refused with its paths") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::schema_task<order> task(
        {.id = "order", .schema = json::parse(R"({"type": "object"})"), .run = [&](const order&) { ++runs; }}, reg);
    taskkit::runtime rt(taskkit_test::options(reg));
    const json good = json::parse(R"({"customer": "c", "ship_to": {"street": "s", "zip": 1},
                                      "lines": [{"sku": "a", "quantity": 1}], "discount": null, "tags": []})");

    SECTION("a member of the wrong type") {
        json p = good;
        p["customer"] = 5;
        const auto text = payload_error_text([&] { (void)rt.trigger("order", p); });
        CHECK(contains(text, "payload for task 'order'"));
        CHECK(contains(text, "/customer: type must be string, but is number"));
        CHECK(!contains(text, "[json.exception"));
    }
    SECTION("a missing member") {
        json p = good;
        p.erase("customer");
        CHECK(contains(payload_error_text([&] { (void)rt.trigger("order", p); }), "/customer: the member is missing"));
    }
    SECTION("nested members, several at once") {
        json p = good;
        p["ship_to"]["zip"] = "12345";
        p["ship_to"].erase("street");
        p["discount"] = "ten percent";
        const auto text = payload_error_text([&] { (void)rt.trigger("order", p); });
        INFO(text);
        CHECK(contains(text, "/ship_to/zip: type must be number, but is string"));
        CHECK(contains(text, "/ship_to/street: the member is missing"));
        CHECK(contains(text, "/discount: type must be number, but is string"));
    }
    SECTION("an element of an array, and a member inside it") {
        json p = good;
        p["tags"] = json::array({"a", "b", 3, "d"});
        p["lines"] = json::parse(R"([{"sku": "a", "quantity": 1}, {"sku": "b", "quantity": 2}, {"sku": "c"}])");
        const auto text = payload_error_text([&] { (void)rt.trigger("order", p); });
        CHECK(contains(text, "/tags/2: type must be string, but is number"));
        CHECK(contains(text, "/lines/2/quantity: the member is missing"));
    }
    SECTION("an object where an array is expected, and the payload itself") {
        json p = good;
        p["lines"] = json::object();
        CHECK(contains(payload_error_text([&] { (void)rt.trigger("order", p); }), "/lines: "));
    }
    CHECK(held_runs(rt) == 0);
    CHECK(runs.load() == 0);
}

TEST_CASE("describe_decode_failure names paths for plain types too") {
    auto describe = [](const json& payload) -> std::string {
        try {
            (void)payload.get<order>();
        } catch (const std::exception& e) {
            return taskkit::detail::describe_decode_failure<order>(payload, e);
        }
        return "decoded";
    };
    CHECK(describe(json::parse(R"({"customer": "c", "ship_to": {"street": "s", "zip": 1},
                                   "lines": [], "discount": 0.5, "tags": []})")) == "decoded");
    CHECK(describe(json::array()) == "(root): type must be object, but is array");
    // Each cause is found on its own, so identical messages are not confused.
    CHECK(describe(json::parse(R"({"customer": "c", "ship_to": {"street": "s", "zip": "1"},
                                   "lines": [], "discount": "x", "tags": []})")) ==
          "/discount: type must be number, but is string; /ship_to/zip: type must be number, but is string");
    CHECK(describe(json::object()) ==
          "/customer: the member is missing; /discount: the member is missing; /lines: the member is missing; "
          "/ship_to: the member is missing; /tags: the member is missing");

    // Without a default constructor, only nlohmann's own message can locate the problem.
    auto describe_token = [](const json& payload) -> std::string {
        try {
            (void)payload.get<token>();
        } catch (const std::exception& e) {
            return taskkit::detail::describe_decode_failure<token>(payload, e);
        }
        return "decoded";
    };
    CHECK(describe_token(json::object()) == "/value: the member is missing");
    CHECK(describe_token(json{{"value", 1}}) == "(root): type must be string, but is number");

    // Keys with '/' and '~' are escaped as JSON Pointer tokens.
    CHECK(taskkit::detail::escape_pointer_token("a/b~c") == "a~1b~0c");
}

TEST_CASE("a typed payload whose JSON would not decode back is refused at the trigger") {
    taskkit::registry reg;
    taskkit::schema_task<lopsided> task({.id = "lopsided", .schema = json(true), .run = [](const lopsided&) {}}, reg);
    taskkit::runtime rt(options(reg));
    CHECK(contains(payload_error_text([&] { (void)rt.trigger(task, lopsided{}); }), "/note: the member is missing"));
    auto handle = rt.trigger(task, lopsided{.note = "hi"});
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.status() == taskkit::run_status::completed);
}

TEST_CASE("a schema task with a custom from_json that throws gets a clear error") {
    taskkit::registry reg;
    taskkit::schema_task<token> task(
        {.id = "token", .schema = json::parse(R"({"type": "object"})"), .run = [](const token&) {}}, reg);
    taskkit::runtime rt(options(reg));
    CHECK(contains(payload_error_text([&] { (void)rt.trigger("token", json::object()); }),
                   "/value: the member is missing"));
    auto handle = rt.trigger("token", json{{"value", "v"}});
    REQUIRE(handle.wait_for(deadline));
    CHECK(handle.status() == taskkit::run_status::completed);
}

TEST_CASE("hostile payloads are refused quickly with a short error") {
    taskkit::registry reg;
    std::atomic<int> runs{0};
    taskkit::schema_task<json> task({.id = "hostile",
                                     .schema = json::parse(R"({
        "type": "object",
        "properties": {"email": {"type": "string", "pattern": "^[^@]+@[^@]+$"},
                       "tree": {"type": "array", "items": {"$ref": "#/properties/tree"}}}
    })"),
                                     .run = [&](const json&) { ++runs; }},
                                    reg);
    taskkit::runtime rt(taskkit_test::options(reg));
    const auto start = std::chrono::steady_clock::now();

    SECTION("very deep JSON") {
        json deep = json::array();
        for (int i = 0; i < 100'000; ++i) {
            json outer = json::array();
            outer.push_back(std::move(deep));
            deep = std::move(outer);
        }
        json payload = json::object();
        payload["tree"] = std::move(deep);
        try {
            (void)rt.trigger("hostile", payload);
            FAIL("no validation_error");
        } catch (const taskkit::validation_error& e) {
            REQUIRE(e.violations().size() == 1);
            CHECK(e.violations()[0].keyword == "maxDepth");
            CHECK(std::string(e.what()).size() < 1000);
        }
    }
    SECTION("a 10 MB string against a pattern") {
        const std::string huge(10U << 20U, 'a');
        try {
            (void)rt.trigger("hostile", json{{"email", huge}});
            FAIL("no validation_error");
        } catch (const taskkit::validation_error& e) {
            REQUIRE(e.violations().size() == 1);
            CHECK(e.violations()[0].instance_path == "/email");
            CHECK(e.violations()[0].keyword == "pattern");
            CHECK(std::string(e.what()).size() < 1000);
        }
        // The same size, valid, is accepted and runs.
        auto handle = rt.trigger("hostile", json{{"email", huge + "@example.com"}});
        REQUIRE(handle.wait_for(deadline));
        CHECK(handle.status() == taskkit::run_status::completed);
        CHECK(runs.load() == 1);
    }
    SECTION("a 10 MB string that fails decoding gives a short error") {
        taskkit::schema_task<create_user> users({.id = "users", .schema = json(true), .run = [](const create_user&) {}},
                                                reg);
        try {
            (void)rt.trigger("users", json{{"name", std::string(10U << 20U, 'x')}, {"email", 7}});
            FAIL("no payload_error");
        } catch (const taskkit::payload_error& e) {
            CHECK(contains(e.what(), "/email: type must be string, but is number"));
            CHECK(std::string(e.what()).size() < 1000);
        }
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
    CHECK(runs.load() <= 1);
}
