# bench_contended compares against Boost.Asio strands.
taskkit_bench_comparators(Boost::headers)
