// Fuzzes taskkit::json_schema: the input is a schema and an instance separated by a NUL byte
// (or split in half when there is none). Both are parsed as JSON; the schema is compiled (an
// invalid one must throw taskkit::schema_error, nothing else) and the instance validated both
// ways, which must agree.
#include <taskkit/schema.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto split = input.find('\0');
    const std::size_t skip = split == std::string_view::npos ? 0 : 1;
    if (split == std::string_view::npos) split = size / 2;
    const auto schema_text = input.substr(0, split);
    const auto instance_text = input.substr(split + skip);

    const auto schema_document = nlohmann::json::parse(schema_text, nullptr, false);
    const auto instance = nlohmann::json::parse(instance_text, nullptr, false);
    if (schema_document.is_discarded() || instance.is_discarded()) return 0;

    std::optional<taskkit::json_schema> schema;
    try {
        schema.emplace(schema_document, taskkit::schema_options{.max_depth = 64});
    } catch (const taskkit::schema_error&) {
        return 0;
    }
    const auto violations = schema->validate(instance);
    if (violations.empty() != schema->is_valid(instance)) std::abort();  // the two entry points disagree
    for (const auto& v : violations) {
        if (v.message.empty() || v.keyword.empty()) std::abort();
    }
    return 0;
}
