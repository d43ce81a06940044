// taskkit::json_schema: messages, paths, invalid schemas, limits and hostile input.
#include <taskkit/schema.hpp>

#include "support/catch.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using nlohmann::json;
using taskkit::json_schema;
using taskkit::schema_error;
using taskkit::schema_violation;

namespace {

json parse(const char* text) { return json::parse(text); }

// The single violation of `instance` against `schema`.
schema_violation only_violation(const json_schema& schema, const json& instance) {
    const auto violations = schema.validate(instance);
    INFO(instance.dump());
    REQUIRE(violations.size() == 1);
    CHECK_FALSE(schema.is_valid(instance));
    return violations.front();
}

// The JSON Pointer named by the schema_error thrown when compiling `schema`.
std::string error_pointer(const json& schema, std::string& message) {
    try {
        const json_schema compiled(schema);
    } catch (const schema_error& e) {
        message = e.what();
        CHECK(e.code() == taskkit::error_code::invalid_options);
        return e.pointer();
    }
    FAIL("expected a schema_error for " << schema.dump());
    return {};
}

// A JSON text of `depth` nested arrays.
std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("the issue's example: a message names the path, the value and the limit", "[schema]") {
    const json_schema schema(
        parse(R"({"type": "object", "properties": {"age": {"type": "integer", "maximum": 150}}})"));
    const auto v = only_violation(schema, parse(R"({"age": 200})"));
    CHECK(v.instance_path == "/age");
    CHECK(v.keyword == "maximum");
    CHECK(v.schema_path == "/properties/age/maximum");
    CHECK(v.message == "/age: 200 is greater than the maximum 150");
    CHECK(schema.validate(parse(R"({"age": 150})")).empty());
    CHECK(schema.is_valid(parse(R"({"age": 150})")));
}

TEST_CASE("each keyword's message and paths", "[schema]") {
    struct expectation {
        const char* schema;
        const char* instance;
        const char* keyword;
        const char* instance_path;
        const char* schema_path;
        const char* message;
    };
    const expectation cases[] = {
        {R"({"type": "string"})", "12", "type", "", "/type", "(root): 12 is an integer, expected string"},
        {R"({"type": ["string", "null"]})", "1.5", "type", "", "/type",
         "(root): 1.5 is a number, expected one of string, null"},
        {R"({"properties": {"a": {"enum": [1, "x"]}}})", R"({"a": 2})", "enum", "/a", "/properties/a/enum",
         R"(/a: 2 is not one of [1,"x"])"},
        {R"({"const": {"k": true}})", R"({"k": false})", "const", "", "/const",
         R"((root): an object with 1 property is not the constant {"k":true})"},
        {R"({"multipleOf": 3})", "10", "multipleOf", "", "/multipleOf", "(root): 10 is not a multiple of 3"},
        {R"({"exclusiveMaximum": 5})", "5", "exclusiveMaximum", "", "/exclusiveMaximum",
         "(root): 5 is not less than the exclusive maximum 5"},
        {R"({"minimum": 0})", "-1", "minimum", "", "/minimum", "(root): -1 is less than the minimum 0"},
        {R"({"exclusiveMinimum": 0.5})", "0.5", "exclusiveMinimum", "", "/exclusiveMinimum",
         "(root): 0.5 is not greater than the exclusive minimum 0.5"},
        {R"({"maxLength": 2})", R"("h\u00e9h")", "maxLength", "", "/maxLength",
         "(root): \"h\u00e9h\" is longer than the maxLength 2 (3 characters)"},
        {R"({"minLength": 1})", R"("")", "minLength", "", "/minLength",
         R"((root): "" is shorter than the minLength 1 (0 characters))"},
        {R"({"pattern": "^[0-9]+$"})", R"("12a")", "pattern", "", "/pattern",
         R"((root): "12a" does not match the pattern "^[0-9]+$")"},
        {R"({"items": {"type": "integer"}})", "[1, \"x\"]", "type", "/1", "/items/type",
         R"(/1: "x" is a string, expected integer)"},
        {R"({"items": [{"type": "integer"}], "additionalItems": false})", "[1, 2]", "additionalItems", "/1",
         "/additionalItems", "/1: item 1 is not allowed: items lists 1 and additionalItems is false"},
        {R"({"maxItems": 1})", "[1, 2]", "maxItems", "", "/maxItems", "(root): has 2 items, more than the maxItems 1"},
        {R"({"minItems": 3})", "[1, 2]", "minItems", "", "/minItems", "(root): has 2 items, fewer than the minItems 3"},
        {R"({"uniqueItems": true})", "[1, 2, 1.0]", "uniqueItems", "", "/uniqueItems",
         "(root): items 0 and 2 are equal, but uniqueItems is true"},
        {R"({"contains": {"const": 3}})", "[1, 2]", "contains", "", "/contains",
         "(root): none of the 2 items matches the contains schema"},
        {R"({"contains": true})", "[]", "contains", "", "/contains",
         "(root): the array is empty, but contains requires a matching item"},
        {R"({"maxProperties": 1})", R"({"a": 1, "b": 2})", "maxProperties", "", "/maxProperties",
         "(root): has 2 properties, more than the maxProperties 1"},
        {R"({"minProperties": 1})", "{}", "minProperties", "", "/minProperties",
         "(root): has 0 properties, fewer than the minProperties 1"},
        {R"({"properties": {"user": {"required": ["email"]}}})", R"({"user": {}})", "required", "/user",
         "/properties/user/required", R"(/user: the required property "email" is missing)"},
        {R"({"properties": {"a": true}, "additionalProperties": false})", R"({"a": 1, "b/c": 2})",
         "additionalProperties", "/b~1c", "/additionalProperties",
         R"(/b~1c: the property "b/c" is not allowed (additionalProperties is false))"},
        {R"({"patternProperties": {"^x-": {"type": "string"}}})", R"({"x-a": 1})", "type", "/x-a",
         "/patternProperties/^x-/type", "/x-a: 1 is an integer, expected string"},
        {R"({"dependencies": {"card": ["billing"]}})", R"({"card": 1})", "dependencies", "", "/dependencies",
         R"((root): the property "billing" is required when "card" is present)"},
        {R"({"dependencies": {"card": {"required": ["cvc"]}}})", R"({"card": 1})", "required", "",
         "/dependencies/card/required", R"((root): the required property "cvc" is missing)"},
        {R"({"propertyNames": {"maxLength": 3}})", R"({"abcd": 1})", "propertyNames", "", "/propertyNames",
         R"((root): the property name "abcd" is invalid: "abcd" is longer than the maxLength 3 (4 characters))"},
        {R"({"anyOf": [{"type": "string"}, {"minimum": 10}]})", "5", "anyOf", "", "/anyOf",
         "(root): 5 matches none of the 2 schemas in anyOf"},
        {R"({"oneOf": [{"minimum": 1}, {"maximum": 10}]})", "5", "oneOf", "", "/oneOf",
         "(root): 5 matches more than one schema in oneOf (at least #0 and #1), but must match exactly one"},
        {R"({"oneOf": [{"type": "string"}, {"type": "null"}]})", "5", "oneOf", "", "/oneOf",
         "(root): 5 matches none of the 2 schemas in oneOf"},
        {R"({"not": {"type": "null"}})", "null", "not", "", "/not", R"((root): null matches the schema in "not")"},
        {R"({"if": {"minimum": 0}, "then": {"multipleOf": 2}, "else": {"const": -1}})", "3", "multipleOf", "",
         "/then/multipleOf", "(root): 3 is not a multiple of 2"},
        {R"({"if": {"minimum": 0}, "then": {"multipleOf": 2}, "else": {"const": -1}})", "-3", "const", "",
         "/else/const", "(root): -3 is not the constant -1"},
        {R"({"allOf": [{"$ref": "#/definitions/positive"}], "definitions": {"positive": {"exclusiveMinimum": 0}}})",
         "0", "exclusiveMinimum", "", "/definitions/positive/exclusiveMinimum",
         "(root): 0 is not greater than the exclusive minimum 0"},
        {"false", "1", "false", "", "", "(root): no value is allowed here (the schema is false)"},
    };
    for (const auto& c : cases) {
        INFO("schema " << c.schema << ", instance " << c.instance);
        const json_schema schema(parse(c.schema));
        const auto v = only_violation(schema, parse(c.instance));
        CHECK(v.keyword == c.keyword);
        CHECK(v.instance_path == c.instance_path);
        CHECK(v.schema_path == c.schema_path);
        CHECK(v.message == c.message);
    }
}

TEST_CASE("format is an annotation and never fails", "[schema]") {
    const json_schema schema(parse(R"({"format": "email"})"));
    CHECK(schema.is_valid("not an email"));
}

TEST_CASE("validate reports every violation at once, in a stable order", "[schema]") {
    const json_schema schema(parse(R"({
        "type": "object",
        "required": ["id", "email"],
        "properties": {
            "id": {"type": "string", "minLength": 1},
            "email": {"type": "string"},
            "age": {"type": "integer", "minimum": 0, "maximum": 150},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}
        },
        "additionalProperties": false
    })"));
    const auto violations = schema.validate(parse(R"({"id": "", "age": 200.5, "tags": ["a", 1, "a"], "extra": true})"));
    std::vector<std::string> messages;
    for (const auto& v : violations) messages.push_back(v.message);
    const std::vector<std::string> expected = {
        R"((root): the required property "email" is missing)",
        "/age: 200.5 is a number, expected integer",
        "/age: 200.5 is greater than the maximum 150",
        R"(/extra: the property "extra" is not allowed (additionalProperties is false))",
        R"(/id: "" is shorter than the minLength 1 (0 characters))",
        "/tags/1: 1 is an integer, expected string",
        "/tags: items 0 and 2 are equal, but uniqueItems is true",
    };
    CHECK(messages == expected);
    CHECK_FALSE(schema.is_valid(parse(R"({"id": "x", "email": "e", "extra": 1})")));
    CHECK(schema.is_valid(parse(R"({"id": "x", "email": "e", "tags": ["a", "b"]})")));
}

TEST_CASE("validation_error carries every violation and lists them in what()", "[schema]") {
    const json_schema schema(parse(R"({"properties": {"a": {"type": "string"}, "b": {"minimum": 1}}})"));
    try {
        schema.throw_if_invalid(parse(R"({"a": 1, "b": 0})"), "payload of task 'send-email'");
        FAIL("expected a validation_error");
    } catch (const taskkit::validation_error& e) {
        CHECK(e.code() == taskkit::error_code::validation_failed);
        REQUIRE(e.violations().size() == 2);
        CHECK(std::string(e.what()) ==
              "the payload of task 'send-email' does not match its JSON schema (2 violations):\n"
              "  /a: 1 is an integer, expected string\n"
              "  /b: 0 is less than the minimum 1");
    }
    CHECK_NOTHROW(schema.throw_if_invalid(parse(R"({"a": "x"})")));
    const taskkit::error& base = taskkit::validation_error({{"", "type", "/type", "(root): bad"}});
    CHECK(std::string(base.what()).find("1 violation)") != std::string::npos);
}

TEST_CASE("invalid schemas throw schema_error naming the JSON Pointer of the bad part", "[schema]") {
    struct expectation {
        const char* schema;
        const char* pointer;
        const char* says;
    };
    const expectation cases[] = {
        {R"(42)", "", "a schema must be an object or a boolean"},
        {R"({"type": 1})", "/type", "must be a type name or an array of type names"},
        {R"({"type": ["string", "text"]})", "/type/1", "a type must be one of"},
        {R"({"properties": {"name": {"minLength": -1}}})", "/properties/name/minLength",
         "must be a non-negative integer, got -1"},
        {R"({"maxItems": 1.5})", "/maxItems", "must be a non-negative integer"},
        {R"({"maximum": "10"})", "/maximum", "\"maximum\" must be a number"},
        {R"({"multipleOf": 0})", "/multipleOf", "must be greater than 0"},
        {R"({"enum": 3})", "/enum", "\"enum\" must be an array"},
        {R"({"required": ["a", 2]})", "/required/1", "must contain only strings"},
        {R"({"properties": []})", "/properties", "must be an object of schemas"},
        {R"({"items": [true, 3]})", "/items/1", "a schema must be an object or a boolean"},
        {R"({"allOf": []})", "/allOf", "must be a non-empty array of schemas"},
        {R"({"dependencies": {"a": 1}})", "/dependencies/a",
         "a dependency must be an array of property names or a schema"},
        {R"({"uniqueItems": "yes"})", "/uniqueItems", "must be a boolean"},
        {R"({"pattern": "(unclosed"})", "/pattern", "cannot be used"},
        {R"j({"pattern": "(?=lookahead)"})j", "/pattern", "lookahead assertions"},
        {R"({"patternProperties": {"^(a)\\1$": true}})", "/patternProperties/^(a)\\1$", "backreferences"},
        {R"({"$ref": "#/definitions/missing"})", "/$ref", "nothing at \"/definitions/missing\""},
        {R"({"$ref": "http://example.com/other.json"})", "/$ref", "remote references are not supported"},
        {R"({"$ref": "#/definitions/a", "definitions": {"a": 3}})", "/$ref", "which is not a schema"},
        {R"({"$ref": 5})", "/$ref", "\"$ref\" must be a string"},
        {R"({"$ref": "#"})", "", "loops and never reaches a schema"},
        {R"({"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}})", "/definitions/a",
         "loops"},
        {R"({"allOf": [{"$ref": "#"}]})", "", "applies itself to the same value again"},
        {R"({"$schema": "http://json-schema.org/draft-04/schema#"})", "/$schema", "implements draft-07 only"},
    };
    for (const auto& c : cases) {
        INFO("schema " << c.schema);
        std::string message;
        CHECK(error_pointer(parse(c.schema), message) == c.pointer);
        INFO(message);
        CHECK(message.find(c.says) != std::string::npos);
    }
    std::string message;
    (void)error_pointer(parse(R"({"properties": {"age": {"minimum": "x"}}})"), message);
    CHECK(message == R"(invalid JSON schema at "/properties/age/minimum": "minimum" must be a number, got "x")");
    REQUIRE_THROWS_AS(json_schema(parse(R"({"minLength": -1})")), taskkit::error);
}

TEST_CASE("$ref: pointers, escaping, $id, recursion and the draft-07 meta-schema", "[schema]") {
    SECTION("a recursive tree through properties") {
        const json_schema schema(parse(R"({
            "definitions": {"node": {"type": "object", "required": ["value"],
                "properties": {"value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/definitions/node"}}}}},
            "$ref": "#/definitions/node"})"));
        CHECK(schema.is_valid(parse(R"({"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]})")));
        const auto v =
            only_violation(schema, parse(R"({"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]})"));
        CHECK(v.instance_path == "/children/0/children/0/value");
        CHECK(v.schema_path == "/definitions/node/properties/value/type");
    }
    SECTION("~0, ~1 and %25 in pointers") {
        const json_schema schema(parse(R"({"definitions": {"a~b/c d%": {"type": "string"}},
            "properties": {"x": {"$ref": "#/definitions/a~0b~1c%20d%25"}}})"));
        CHECK(schema.is_valid(parse(R"({"x": "s"})")));
        CHECK_FALSE(schema.is_valid(parse(R"({"x": 1})")));
    }
    SECTION("$id-relative and plain-name references") {
        const json_schema schema(parse(R"({"$id": "http://example.com/root.json",
            "definitions": {"a": {"$id": "#positive", "minimum": 0}, "b": {"$id": "sub/b.json", "type": "string"}},
            "properties": {"p": {"$ref": "#positive"}, "s": {"$ref": "sub/b.json"}}})"));
        CHECK(schema.is_valid(parse(R"({"p": 1, "s": "x"})")));
        CHECK(schema.validate(parse(R"({"p": -1, "s": 2})")).size() == 2);
    }
    SECTION("the draft-07 meta-schema validates schemas") {
        const json_schema meta(parse(R"({"$ref": "http://json-schema.org/draft-07/schema#"})"));
        CHECK(meta.is_valid(parse(R"({"type": "object", "properties": {"a": {"minLength": 1}}})")));
        const auto violations = meta.validate(parse(R"({"properties": {"a": {"minLength": -1}}})"));
        REQUIRE_FALSE(violations.empty());
        CHECK(violations.front().instance_path == "/properties/a/minLength");
        CHECK(violations.front().schema_path.rfind("http://json-schema.org/draft-07/schema#", 0) == 0);
    }
}

TEST_CASE("hostile input: deep nesting is refused with a clear violation, never a crash", "[schema][hostile]") {
    const json_schema recursive(parse(R"({"items": {"$ref": "#"}})"));
    SECTION("100,000 nested arrays") {
        const json deep = json::parse(nested_arrays(100000));  // nlohmann's parser and destructor do not recurse
        const auto violations = recursive.validate(deep);
        REQUIRE(violations.size() == 1);
        CHECK(violations.front().keyword == "maxDepth");
        CHECK(violations.front().instance_path.size() == 2 * 256);
        CHECK(violations.front().message.find("nests deeper than the limit of 256") != std::string::npos);
        CHECK_FALSE(recursive.is_valid(deep));
        CHECK_FALSE(json_schema(parse("true")).is_valid(deep));  // even the schema true bounds depth
    }
    SECTION("up to the limit is validated") {
        CHECK(recursive.is_valid(json::parse(nested_arrays(256))));
        CHECK_FALSE(recursive.is_valid(json::parse(nested_arrays(257))));
        const json_schema shallow(parse(R"({"items": {"$ref": "#"}})"), {.max_depth = 8});
        CHECK(shallow.is_valid(json::parse(nested_arrays(8))));
        CHECK(shallow.validate(json::parse(nested_arrays(9))).front().keyword == "maxDepth");
    }
    SECTION("a schema nested too deeply is refused") {
        std::string text;
        for (int i = 0; i < 1000; ++i) text += R"({"not":)";
        text += "true";
        text += std::string(1000, '}');
        REQUIRE_THROWS_AS(json_schema(json::parse(text)), schema_error);
    }
    SECTION("a long chain of schemas is bounded at validation time") {
        json schema = {{"definitions", json::object()}};
        for (int i = 0; i < 5000; ++i) {
            schema["definitions"]["d" + std::to_string(i)] = {
                {"allOf", {{{"$ref", "#/definitions/d" + std::to_string(i + 1)}}}}};
        }
        schema["definitions"]["d5000"] = {{"type", "string"}};
        schema["$ref"] = "#/definitions/d0";
        const json_schema chain(schema);
        const auto violations = chain.validate("x");
        REQUIRE(violations.size() == 1);
        CHECK(violations.front().keyword == "maxDepth");
        CHECK_FALSE(chain.is_valid("x"));
    }
}

TEST_CASE("hostile input: long strings and catastrophic patterns run in linear time", "[schema][hostile]") {
    using clock = std::chrono::steady_clock;
    SECTION("^(a+)+$ against aaaa...b") {
        const json_schema schema(parse(R"({"pattern": "^(a+)+$"})"));
        const json evil = std::string(100000, 'a') + "b";
        const auto start = clock::now();
        CHECK_FALSE(schema.is_valid(evil));
        CHECK(schema.is_valid(json(std::string(100000, 'a'))));
        CHECK(clock::now() - start < std::chrono::seconds(5));
    }
    SECTION("a 10 MB string with pattern and maxLength") {
        const json_schema schema(parse(R"({"pattern": "^[a-z]*$", "maxLength": 20000000})"));
        const json big = std::string(10 * 1024 * 1024, 'q');
        const auto start = clock::now();
        CHECK(schema.is_valid(big));
        const auto violations = json_schema(parse(R"({"pattern": "x$", "maxLength": 5})")).validate(big);
        REQUIRE(violations.size() == 2);
        CHECK(violations[0].message.size() < 200);  // a message never copies the payload
        CHECK(clock::now() - start < std::chrono::seconds(10));
    }
    SECTION("uniqueItems on a large array") {
        json items = json::array();
        for (int i = 0; i < 100000; ++i) items.push_back(i);
        items.push_back(99999.0);
        const json_schema schema(parse(R"({"uniqueItems": true})"));
        const auto start = clock::now();
        const auto violations = schema.validate(items);
        REQUIRE(violations.size() == 1);
        CHECK(violations.front().message == "(root): items 99999 and 100000 are equal, but uniqueItems is true");
        CHECK(clock::now() - start < std::chrono::seconds(10));
    }
}

TEST_CASE("patterns follow ECMA-262 where RE2 differs", "[schema]") {
    auto matches = [](const char* pattern, const std::string& text) {
        return json_schema(json{{"pattern", pattern}}).is_valid(json(text));
    };
    CHECK(matches("abc", "xxabcxx"));       // unanchored
    CHECK_FALSE(matches("^a.c$", "a\nc"));  // . excludes line terminators
    CHECK_FALSE(matches("^a.c$", "a\u2028c"));
    CHECK(matches("^a[^]c$", "a\nc"));  // [^] is anything
    CHECK(matches("^\\s$", "\u00a0"));  // \s is Unicode white space
    CHECK_FALSE(matches("^\\S$", "\u3000"));
    CHECK(matches("^\\u00e9$", "\u00e9"));             // \uXXXX
    CHECK(matches("^\\uD83D\\uDE00$", "\U0001F600"));  // surrogate pairs
    CHECK(matches("^\\cJ$", "\n"));                    // control escapes
    CHECK(matches("^\\z$", "z"));                      // identity escape, not end of text
    CHECK(matches("^(?<year>[0-9]{4})$", "2024"));     // named groups
    CHECK(matches("^[[]$", "["));
    CHECK(matches("^\\p{L}+$", "\u00e9t\u00e9"));
}

TEST_CASE("numbers: integers, big numbers and multipleOf", "[schema]") {
    CHECK(json_schema(parse(R"({"type": "integer"})")).is_valid(parse("1.0")));
    CHECK_FALSE(json_schema(parse(R"({"type": "integer"})")).is_valid(parse("1.5")));
    CHECK(json_schema(parse(R"({"maximum": 18446744073709551615})")).is_valid(parse("18446744073709551615")));
    CHECK_FALSE(json_schema(parse(R"({"maximum": 9223372036854775807})")).is_valid(parse("9223372036854775808")));
    CHECK(json_schema(parse(R"({"minimum": -9223372036854775808})")).is_valid(parse("-9223372036854775808")));
    CHECK(json_schema(parse(R"({"multipleOf": 0.01})")).is_valid(parse("19.99")));
    CHECK_FALSE(json_schema(parse(R"({"multipleOf": 0.01})")).is_valid(parse("19.995")));
    CHECK_FALSE(json_schema(parse(R"({"multipleOf": 0.123456789})")).is_valid(parse("1e308")));
    CHECK(json_schema(parse(R"({"multipleOf": 7})")).is_valid(parse("-9223372036854775807")));
    CHECK(json_schema(parse(R"({"const": 1})")).is_valid(parse("1.0")));
    CHECK_FALSE(json_schema(parse(R"({"const": 9007199254740993})")).is_valid(parse("9007199254740992.0")));
}

TEST_CASE("a compiled schema is shared by copies and safe to use from many threads", "[schema]") {
    const json_schema schema(parse(R"({"properties": {"n": {"type": "integer", "pattern": "x"}}, "required": ["n"]})"));
    const json_schema copy = schema;  // NOLINT(performance-unnecessary-copy-initialization)
    CHECK(&copy.document() == &schema.document());
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) {
                if (!copy.is_valid(json{{"n", i}}) || copy.validate(json{{"n", "x"}}).size() != 1) ++failures;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(failures == 0);
    CHECK(json_schema().is_valid(json{{"anything", 1}}));
}
