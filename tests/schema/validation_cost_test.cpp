// taskkit::json_schema on schemas built to make validation expensive: nested two-way anyOf/allOf
// over $refs (exponential without memoization), and uniqueItems over many equal items (quadratic).
// No assertion here measures time: the work is bounded with schema_options::max_evaluations,
// and a regression to exponential work makes the binary exceed its CTest timeout.
#include <taskkit/schema.hpp>

#include "support/catch.hpp"

#include <string>
#include <vector>

using nlohmann::json;
using taskkit::json_schema;
using taskkit::schema_options;

namespace {

// levels[0] = `base`; levels[i] = {combinator: [{"$ref": levels[i-1]}, {"$ref": levels[i-1]}]},
// plus `extra` keywords; the root is the last level. Each level doubles the work of a validator
// that evaluates every branch afresh.
json doubling_schema(int n, const char* combinator, const json& base, const json& extra = json::object()) {
    json definitions = json::object();
    definitions["l0"] = base;
    for (int i = 1; i <= n; ++i) {
        const json ref = {{"$ref", "#/definitions/l" + std::to_string(i - 1)}};
        json level = extra;
        level[combinator] = json::array({ref, ref});
        definitions["l" + std::to_string(i)] = level;
    }
    return {{"definitions", definitions}, {"allOf", json::array({{{"$ref", "#/definitions/l" + std::to_string(n)}}})}};
}

// The same two branches as separate definitions (a and b), so the $refs do not collapse to one node.
json doubling_schema_two_names(int n) {
    json definitions = json::object();
    definitions["a0"] = json{{"type", "string"}};
    definitions["b0"] = json{{"type", "string"}};
    for (int i = 1; i <= n; ++i) {
        const std::string below = std::to_string(i - 1);
        for (const char* name : {"a", "b"}) {
            definitions[name + std::to_string(i)] = json{
                {"anyOf", json::array({{{"$ref", "#/definitions/a" + below}}, {{"$ref", "#/definitions/b" + below}}})}};
        }
    }
    return {{"definitions", definitions}, {"$ref", "#/definitions/a" + std::to_string(n)}};
}

// {"a": {"a": ... {"a": leaf}}}, `depth` objects deep.
json nested_objects(int depth, const json& leaf) {
    json value = leaf;
    for (int i = 0; i < depth; ++i) value = json{{"a", value}};
    return value;
}

}  // namespace

// Item 4 of "reliability under hostile input": n = 24 took 11.5 s to validate `1`; each level doubled it.
TEST_CASE("nested two-way anyOf over refs validates in linear work") {
    for (const int n : {24, 48}) {
        INFO("n = " << n);
        const json document = doubling_schema(n, "anyOf", json{{"type", "string"}});
        const json_schema schema(document);
        CHECK(schema.is_valid(json("text")));
        CHECK_FALSE(schema.is_valid(json(1)));
        const auto violations = schema.validate(json(1));
        REQUIRE(violations.size() == 1);
        CHECK(violations[0].keyword == "anyOf");
        CHECK(violations[0].instance_path.empty());
        CHECK(violations[0].schema_path == "/definitions/l" + std::to_string(n) + "/anyOf");

        const json_schema distinct(doubling_schema_two_names(n));
        CHECK(distinct.is_valid(json("text")));
        CHECK_FALSE(distinct.is_valid(json(1)));
        CHECK(distinct.validate(json(1)).size() == 1);
    }
}

TEST_CASE("nested oneOf and not over refs validate in linear work") {
    const json_schema one_of(doubling_schema(40, "oneOf", json{{"type", "string"}}));
    CHECK_FALSE(one_of.is_valid(json("text")));  // both branches match: not exactly one
    CHECK_FALSE(one_of.is_valid(json(1)));
    const json negated = doubling_schema(40, "anyOf", json{{"not", {{"type", "integer"}}}});
    CHECK(json_schema(negated).is_valid(json("text")));
    CHECK_FALSE(json_schema(negated).is_valid(json(1)));
}

TEST_CASE("allOf of repeated refs reports each violation once, with its path") {
    const json_schema schema(doubling_schema(40, "allOf", json{{"type", "string"}}));
    const auto violations = schema.validate(json(1));
    REQUIRE(violations.size() == 1);
    CHECK(violations[0].keyword == "type");
    CHECK(violations[0].schema_path == "/definitions/l0/type");
    CHECK(violations[0].message == "(root): 1 is an integer, expected string");
}

TEST_CASE("nested properties under doubling combinators keep their instance paths") {
    // Each level: the member "a" must match the whole schema again, through two identical branches.
    const json extra = {{"properties", {{"a", {{"$ref", "#"}}}}}};
    const json object_or_string = {{"type", json::array({"object", "string"})}};
    const json_schema any_of(doubling_schema(30, "anyOf", object_or_string, extra));
    CHECK(any_of.is_valid(nested_objects(40, json("leaf"))));
    CHECK_FALSE(any_of.is_valid(nested_objects(40, json(1))));
    // One anyOf violation at each of the 41 levels (the innermost first), none repeated.
    const auto any_violations = any_of.validate(nested_objects(40, json(1)));
    REQUIRE(any_violations.size() == 41);
    for (std::size_t i = 0; i < any_violations.size(); ++i) {
        std::string path;
        for (std::size_t level = i; level < 40; ++level) path += "/a";
        CHECK(any_violations[i].keyword == "anyOf");
        CHECK(any_violations[i].instance_path == path);
    }

    const json_schema all_of(doubling_schema(30, "allOf", object_or_string, extra));
    const auto violations = all_of.validate(nested_objects(3, json(1)));
    REQUIRE(violations.size() == 1);
    CHECK(violations[0].keyword == "type");
    CHECK(violations[0].instance_path == "/a/a/a");
    CHECK(violations[0].message == "/a/a/a: 1 is an integer, expected one of object, string");
}

TEST_CASE("uniqueItems over many equal items stops at the first duplicate") {
    const json_schema schema(json{{"uniqueItems", true}});
    const json equal(50'000, json(1));
    const auto violations = schema.validate(equal);
    REQUIRE(violations.size() == 1);
    CHECK(violations[0].message == "(root): items 0 and 1 are equal, but uniqueItems is true");
    json distinct = json::array();
    for (int i = 0; i < 50'000; ++i) distinct.push_back(i);
    CHECK(schema.is_valid(distinct));
    distinct.push_back(49'998);
    CHECK(schema.validate(distinct).at(0).message ==
          "(root): items 49998 and 50000 are equal, but uniqueItems is true");
}

TEST_CASE("the work of a validation is counted and bounded by max_evaluations") {
    SECTION("doubling anyOf: a few units per level, not 2^n") {
        for (const int n : {24, 48, 96}) {
            INFO("n = " << n);
            const auto budget = static_cast<std::size_t>(10 * n);
            const json_schema schema(doubling_schema(n, "anyOf", json{{"type", "string"}}),
                                     schema_options{.max_evaluations = budget});
            const auto violations = schema.validate(json(1));
            REQUIRE(violations.size() == 1);
            CHECK(violations[0].keyword == "anyOf");
            CHECK(schema.is_valid(json("text")));
            const json_schema distinct(doubling_schema_two_names(n), schema_options{.max_evaluations = budget});
            CHECK(distinct.validate(json(1)).size() == 1);
        }
    }
    SECTION("beyond the bound, one maxEvaluations violation and an invalid verdict") {
        const json_schema schema(json{{"items", {{"type", "integer"}}}}, schema_options{.max_evaluations = 10});
        CHECK(schema.is_valid(json::array({1, 2, 3})));
        const json many(20, json(1));
        CHECK_FALSE(schema.is_valid(many));
        const auto violations = schema.validate(many);
        REQUIRE(violations.size() == 1);
        CHECK(violations[0].keyword == "maxEvaluations");
        CHECK(violations[0].instance_path.empty());
        CHECK(violations[0].message.find("max_evaluations") != std::string::npos);
    }
    SECTION("uniqueItems comparisons count too") {
        const json_schema schema(json{{"uniqueItems", true}}, schema_options{.max_evaluations = 100});
        const json equal(50'000, json(1));
        CHECK(schema.validate(equal).size() == 1);  // found at the first comparison
    }
}

TEST_CASE("a shared subschema applied to property names and to values keeps each verdict apart") {
    // "short" is reached from propertyNames and from properties: it is memoized, and each property
    // name is a temporary value whose address the next one may reuse.
    const json_schema schema(json::parse(R"({
        "definitions": {"short": {"maxLength": 3}},
        "propertyNames": {"$ref": "#/definitions/short"},
        "properties": {"abc": {"$ref": "#/definitions/short"}}
    })"));
    const json instance = json::parse(R"({"ab": 1, "abc": "long value", "abcdef": 2, "x": 3})");
    const auto violations = schema.validate(instance);
    REQUIRE(violations.size() == 2);
    CHECK(violations[0].keyword == "maxLength");
    CHECK(violations[0].instance_path == "/abc");
    CHECK(violations[1].keyword == "propertyNames");
    CHECK(violations[1].message.find("\"abcdef\"") != std::string::npos);
    CHECK_FALSE(schema.is_valid(instance));
    CHECK(schema.is_valid(json::parse(R"({"ab": 1, "abc": "ok", "x": 3})")));
}
