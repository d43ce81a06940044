// taskkit::json_schema throughput: a typical ~1 KB task payload against a realistic schema, and a
// scaling check over payloads of ~1 KB, ~10 KB and ~100 KB (time per byte should stay flat).
//   bench_schema --benchmark_counters_tabular=true
#include <taskkit/schema.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

const nlohmann::json& order_schema() {
    static const nlohmann::json schema = nlohmann::json::parse(R"({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "required": ["order_id", "customer", "items", "currency", "created_at"],
        "additionalProperties": false,
        "properties": {
            "order_id": {"type": "string", "pattern": "^ord_[A-Za-z0-9]{12}$"},
            "customer": {
                "type": "object",
                "required": ["id", "email"],
                "properties": {
                    "id": {"type": "string", "minLength": 1, "maxLength": 64},
                    "email": {"type": "string", "format": "email", "pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"},
                    "name": {"type": "string", "maxLength": 200},
                    "tier": {"enum": ["free", "pro", "enterprise"]}
                }
            },
            "items": {
                "type": "array", "minItems": 1, "maxItems": 100000,
                "items": {"$ref": "#/definitions/line_item"}
            },
            "currency": {"type": "string", "enum": ["EUR", "USD", "GBP", "JPY"]},
            "coupon": {"type": ["string", "null"], "maxLength": 32},
            "created_at": {"type": "string", "format": "date-time"},
            "metadata": {"type": "object", "propertyNames": {"pattern": "^[a-z_]+$"},
                         "additionalProperties": {"type": ["string", "number", "boolean"]}}
        },
        "definitions": {
            "line_item": {
                "type": "object",
                "required": ["sku", "quantity", "unit_price"],
                "additionalProperties": false,
                "properties": {
                    "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "unit_price": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.01},
                    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true, "maxItems": 10}
                }
            }
        }
    })");
    return schema;
}

nlohmann::json order_payload(std::size_t items) {
    nlohmann::json payload = {
        {"order_id", "ord_A1b2C3d4E5f6"},
        {"customer", {{"id", "cus_123456"}, {"email", "ada@example.com"}, {"name", "Ada Lovelace"}, {"tier", "pro"}}},
        {"currency", "EUR"},
        {"coupon", nullptr},
        {"created_at", "2024-05-01T12:00:00Z"},
        {"metadata", {{"source", "web"}, {"campaign", "spring"}, {"priority", 2}}},
        {"items", nlohmann::json::array()},
    };
    for (std::size_t i = 0; i < items; ++i) {
        payload["items"].push_back({{"sku", "ABC-" + std::to_string(1000 + i % 9000)},
                                    {"quantity", 1 + static_cast<int>(i % 7)},
                                    {"unit_price", 19.99},
                                    {"tags", {"gift", "fragile"}}});
    }
    return payload;
}

// The number of line items that makes a payload of about `bytes` bytes.
std::size_t items_for(std::size_t bytes) {
    const std::size_t base = order_payload(0).dump().size();
    const std::size_t per_item = (order_payload(10).dump().size() - base) / 10;
    return bytes > base ? (bytes - base) / per_item : 1;
}

void run(benchmark::State& state, const nlohmann::json& payload, bool collect) {
    const taskkit::json_schema schema(order_schema());
    const auto bytes = static_cast<std::int64_t>(payload.dump().size());
    if (!schema.is_valid(payload)) state.SkipWithError("the benchmark payload should be valid");
    for (auto _ : state) {
        if (collect) {
            auto violations = schema.validate(payload);
            benchmark::DoNotOptimize(violations);
        } else {
            bool valid = schema.is_valid(payload);
            benchmark::DoNotOptimize(valid);
        }
    }
    state.SetBytesProcessed(state.iterations() * bytes);
    state.counters["payload_bytes"] = static_cast<double>(bytes);
    state.counters["validations/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// A typical ~1 KB payload: is_valid (verdict only) and validate (collects violations).
void bm_typical_is_valid(benchmark::State& state) { run(state, order_payload(items_for(1024)), false); }
void bm_typical_validate(benchmark::State& state) { run(state, order_payload(items_for(1024)), true); }

// Linear scaling: ~1 KB, ~10 KB, ~100 KB. bytes_per_second should be about the same for all three.
void bm_scaling(benchmark::State& state) {
    run(state, order_payload(items_for(static_cast<std::size_t>(state.range(0)))), false);
}

// What compiling costs (done once per schema, never per validation).
void bm_compile(benchmark::State& state) {
    for (auto _ : state) {
        taskkit::json_schema schema(order_schema());
        benchmark::DoNotOptimize(schema);
    }
}

}  // namespace

BENCHMARK(bm_typical_is_valid);
BENCHMARK(bm_typical_validate);
BENCHMARK(bm_scaling)->Arg(1024)->Arg(10 * 1024)->Arg(100 * 1024);
BENCHMARK(bm_compile);
BENCHMARK_MAIN();
