// A small persistent thread pool: the caller plus N-1 workers run one job at a time.
// Kernels split their own work by thread id, so the pool only has to start and join.
#pragma once
#include <cstdint>
#include <functional>

namespace shorten {

// Number of threads a parallel job uses (the caller included). Defaults to all cores,
// or SHORTEN_THREADS when set.
int threadCount();
void setThreadCount(int n);

// Runs fn(tid, nthreads) once on each of nthreads threads (tid 0 is the caller) and
// returns when all are done. Called from inside a job it runs fn(0, 1) inline.
void runOnThreads(const std::function<void(int tid, int nthreads)>& fn);

// Splits [0, n) into contiguous chunks, one per thread, each a multiple of grain
// (except the last), and runs fn(begin, end) on each non-empty chunk. With costPerItem (about
// the flops or bytes one item takes) a job too small to pay for waking the workers runs inline.
void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn,
                 int64_t costPerItem = 0);

// Work below this (flops or bytes) runs on the calling thread: waking a worker costs more.
constexpr int64_t kInlineWork = 1 << 18;

}  // namespace shorten
