# bench_latency compares against Boost.Asio.
taskkit_bench_comparators(Boost::headers)
