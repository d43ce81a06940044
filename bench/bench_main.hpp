// The tail of every comparison benchmark's main(): run what was registered, with Google
// Benchmark's command line, then print the benchmark's part of the bench/run table.
#pragma once

#include <benchmark/benchmark.h>

template <class Summary>
int run_benchmarks(int argc, char** argv, Summary&& print_summary) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    print_summary();
    return 0;
}
