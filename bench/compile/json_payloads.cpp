// Compile-time fixture: the floor under tasks.cpp. The same three payload types and results
// converted to and from JSON with nlohmann alone, a JSON document parsed and written, and a line
// formatted with fmt: what a file costs that uses those types with the two libraries as tasks.cpp
// does, before any taskkit code (timed by bench/run).
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "payloads.hpp"

namespace fixture {

template <class T>
std::string round_trip(const T& value) {
    const nlohmann::json j = value;
    const T back = j.get<T>();
    return nlohmann::json(back).dump();
}

int convert_three(const char* text) {
    const auto document = nlohmann::json::parse(text);
    const std::string all = round_trip(signup{"Ada", 36}) + round_trip(basket{{"book"}, 12.5}) +
                            round_trip(tally{"ada", {{"books", 1}}}) + round_trip(std::string("book")) + round_trip(40);
    fmt::print("counted {} {}\n", all, document.dump());
    return static_cast<int>(all.size());
}

}  // namespace fixture
