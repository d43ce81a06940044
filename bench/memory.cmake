# bench_memory compares against Boost.Asio handlers with a promise each.
taskkit_bench_comparators(Boost::headers)
