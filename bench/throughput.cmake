# bench_throughput compares against Boost.Asio and oneTBB.
taskkit_bench_comparators(Boost::headers TBB::tbb)
