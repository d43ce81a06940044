// taskkit::cron: the time to compute `next` for 100,000 different schedules in a few time zones,
// and the parse throughput. Run: build/release/bench/bench_cron (a Release build).
#include <taskkit/cron.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <string>
#include <vector>

namespace {

constexpr std::size_t schedule_count = 100'000;

/// 100,000 different expressions over a dozen shapes (values, ranges, steps, lists, names, L, nL, OR rule).
std::vector<std::string> make_expressions() {
    static const std::array<const char*, 7> weekdays = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
    std::vector<std::string> out;
    out.reserve(schedule_count);
    for (std::size_t i = 0; out.size() < schedule_count; ++i) {
        const std::string m = std::to_string(i % 60);
        const std::string h = std::to_string(i / 60 % 24);
        const std::string d = std::to_string(i / 1440 % 28 + 1);
        const std::string mo = std::to_string(i / 7 % 12 + 1);
        const std::string w = std::to_string(i / 3 % 7);
        const std::string step = std::to_string(i % 29 + 1);
        switch (i % 12) {
            case 0:
                out.push_back(m + " " + h + " * * *");
                break;
            case 1:
                out.push_back(m + " " + h + " * * 1-5");
                break;
            case 2:
                out.push_back("*/" + step + " * * * *");
                break;
            case 3:
                out.push_back(m + " */" + std::to_string(i % 11 + 1) + " * * *");
                break;
            case 4:
                out.push_back(m + " " + h + " " + d + " * *");
                break;
            case 5:
                out.push_back(m + " " + h + " " + d + " " + mo + " *");
                break;
            case 6:
                out.push_back(m + " " + h + " L * *");
                break;
            case 7:
                out.push_back(m + " " + h + " * * " + w + "L");
                break;
            case 8:
                out.push_back(m + " " + h + " " + d + " * " + weekdays[i % 7]);
                break;
            case 9:
                out.push_back(m + "," + std::to_string((i + 30) % 60) + " 9-17 * * MON-FRI");
                break;
            case 10:
                out.push_back(m + " " + h + " 1,15 */3 *");
                break;
            default:
                out.push_back(m + "-59/" + step + " " + h + "-23 * JAN-JUN *");
                break;
        }
    }
    return out;
}

const std::vector<std::string>& expressions() {
    static const std::vector<std::string> all = make_expressions();
    return all;
}

const std::vector<taskkit::cron>& schedules() {
    static const std::vector<taskkit::cron> all = [] {
        std::vector<taskkit::cron> out;
        out.reserve(schedule_count);
        for (const auto& e : expressions()) out.push_back(taskkit::cron::parse(e));
        return out;
    }();
    return all;
}

const std::array<const char*, 4> zone_names = {"UTC", "America/New_York", "Europe/Berlin", "Asia/Tokyo"};

const std::chrono::system_clock::time_point start =
    std::chrono::system_clock::time_point(std::chrono::seconds(1772940000));  // 2026-03-08T03:20:00Z

/// next() for all 100,000 schedules, the zones resolved once (as a scheduler would).
void next_100k_resolved_zones(benchmark::State& state) {
    const auto& all = schedules();
    std::array<const date::time_zone*, 4> zones{};
    for (std::size_t z = 0; z < zones.size(); ++z) zones[z] = &taskkit::cron::locate_zone(zone_names[z]);
    for (auto _ : state) {
        for (std::size_t i = 0; i < all.size(); ++i) {
            benchmark::DoNotOptimize(all[i].next(start, *zones[i % zones.size()]));
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * all.size()));
}
BENCHMARK(next_100k_resolved_zones)->Unit(benchmark::kMillisecond);

/// next() for all 100,000 schedules, the zone looked up by name on each call.
void next_100k_zone_names(benchmark::State& state) {
    const auto& all = schedules();
    for (auto _ : state) {
        for (std::size_t i = 0; i < all.size(); ++i) {
            benchmark::DoNotOptimize(all[i].next(start, zone_names[i % zone_names.size()]));
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * all.size()));
}
BENCHMARK(next_100k_zone_names)->Unit(benchmark::kMillisecond);

/// upcoming(10) for 10,000 of the schedules in Europe/Berlin, across the spring-forward.
void upcoming_10_for_10k(benchmark::State& state) {
    const auto& all = schedules();
    const auto& berlin = taskkit::cron::locate_zone("Europe/Berlin");
    for (auto _ : state) {
        for (std::size_t i = 0; i < all.size(); i += 10) benchmark::DoNotOptimize(all[i].upcoming(start, 10, berlin));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * all.size()));
}
BENCHMARK(upcoming_10_for_10k)->Unit(benchmark::kMillisecond);

/// parse() of all 100,000 expressions.
void parse_100k(benchmark::State& state) {
    const auto& all = expressions();
    std::size_t bytes = 0;
    for (const auto& e : all) bytes += e.size();
    for (auto _ : state) {
        for (const auto& e : all) benchmark::DoNotOptimize(taskkit::cron::parse(e));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * all.size()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(parse_100k)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
