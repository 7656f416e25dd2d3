// Measures what the machine can do, so benchmarks print ratios to it: the f32 FMA peak of
// all threads and the memory read bandwidth, each on the widest vectors the CPU has.
// GCC 12's _mm512_reduce_add_ps seeds its extracts with _mm512_undefined_*, which trips a false
// uninitialized warning wherever it is inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "cpu_features.h"
#include "heap_pages.h"
#include "kernels.h"
#include "thread_pool.h"

namespace shorten {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kIters = 1 << 20;

// 12 independent FMA chains hide the 4-cycle latency of two FMA pipes.
__attribute__((target("avx512f,fma"))) float fmaLoopAvx512(int64_t iters) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) float fmaLoopAvx2(int64_t iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[7];
}

// The read probes sum kStreams parts of their range side by side: one sequential stream per core
// leaves the memory system idle between the prefetcher's requests and read 51-52 GB/s on the 2-core
// development VM, where 8 streams per core read 62 (a GEMV reads 8 weight rows at once).
constexpr int kStreams = 8;

__attribute__((target("avx512f"))) float sumAvx512(const float* p, int64_t n) {
  const int64_t part = n / kStreams / 64 * 64;
  __m512 acc[kStreams];
  for (int s = 0; s < kStreams; ++s) acc[s] = _mm512_setzero_ps();
  for (int64_t i = 0; i < part; i += 64) {
#pragma GCC unroll 8
    for (int s = 0; s < kStreams; ++s) {
      const float* q = p + s * part + i;
      acc[s] = _mm512_add_ps(acc[s], _mm512_add_ps(_mm512_add_ps(_mm512_load_ps(q), _mm512_load_ps(q + 16)),
                                                   _mm512_add_ps(_mm512_load_ps(q + 32), _mm512_load_ps(q + 48))));
    }
  }
  __m512 t = acc[0];
  for (int s = 1; s < kStreams; ++s) t = _mm512_add_ps(t, acc[s]);
  float tail = 0.0f;
  for (int64_t i = part * kStreams; i < n; ++i) tail += p[i];
  return _mm512_reduce_add_ps(t) + tail;
}

__attribute__((target("avx2"))) float sumAvx2(const float* p, int64_t n) {
  const int64_t part = n / kStreams / 32 * 32;
  __m256 acc[kStreams];
  for (int s = 0; s < kStreams; ++s) acc[s] = _mm256_setzero_ps();
  for (int64_t i = 0; i < part; i += 32) {
#pragma GCC unroll 8
    for (int s = 0; s < kStreams; ++s) {
      const float* q = p + s * part + i;
      acc[s] = _mm256_add_ps(acc[s], _mm256_add_ps(_mm256_add_ps(_mm256_load_ps(q), _mm256_load_ps(q + 8)),
                                                   _mm256_add_ps(_mm256_load_ps(q + 16), _mm256_load_ps(q + 24))));
    }
  }
  __m256 t = acc[0];
  for (int s = 1; s < kStreams; ++s) t = _mm256_add_ps(t, acc[s]);
  float out[8];
  _mm256_storeu_ps(out, t);
  float tail = 0.0f;
  for (int64_t i = part * kStreams; i < n; ++i) tail += p[i];
  return out[0] + out[7] + tail;
}

float sumPortable(const float* p, int64_t n) {
  float s = 0;
  for (int64_t i = 0; i < n; ++i) s += p[i];
  return s;
}

std::atomic<float> sink{0};

// GFLOP/s of each burst of `work` on all threads (work returns the flops it did), bursts back to back
// for about `seconds` (at least three).
template <class Work>
std::vector<double> burstRates(double seconds, const Work& work) {
  std::vector<double> rates;
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  do {
    std::mutex mutex;
    double flops = 0.0;
    auto t0 = Clock::now();
    runOnThreads([&](int, int) {
      const double done = work();
      std::lock_guard<std::mutex> lock(mutex);
      flops += done;
    });
    double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    rates.push_back(flops / dt / 1e9);
  } while (Clock::now() < deadline || rates.size() < 3);
  return rates;
}

// GFLOP/s of each burst of `iters` FMA-loop iterations on all threads.
std::vector<double> fmaBurstRates(double seconds, int64_t iters) {
  const Isa isa = bestIsa();
  if (isa == Isa::Portable) return {};
  const int lanes = isa == Isa::Avx512 ? 16 : 8;
  return burstRates(seconds, [&] {
    const float r = isa == Isa::Avx512 ? fmaLoopAvx512(iters) : fmaLoopAvx2(iters);
    sink.store(r, std::memory_order_relaxed);
    return static_cast<double>(iters) * 12.0 * lanes * 2.0;
  });
}

double median(std::vector<double> xs) {
  if (xs.empty()) return 0.0;
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

}  // namespace

// The best burst of about 1.5 ms: what the FMA units do when nothing interrupts them.
double measurePeakGflops(double seconds) {
  std::vector<double> rates = fmaBurstRates(seconds, kIters);
  return rates.empty() ? 0.0 : *std::max_element(rates.begin(), rates.end());
}

// The median burst of about 12 ms, as long as a large GEMM runs: interrupts, the other tenants of a
// shared host and any clock drop under sustained load all count. On the 2-core development VM it
// read 3% to 12% under the peak depending on the hour.
double measureSustainedGflops(double seconds) { return median(fmaBurstRates(seconds, kIters * 8)); }

// Bursts of about 3 GFLOP a thread: 12-15 ms at the development VM's 200-230 GFLOP/s a core, as long
// as the sustained probe's, so the two compare directly.
double measureF32KernelGflops(double seconds) {
  constexpr double kFlopsPerBurst = 3e9;
  const Isa isa = activeIsa();
  if (isa == Isa::Portable) return 0.0;
  return median(burstRates(seconds, [&] {
    return isa == Isa::Avx512 ? f32MicroKernelFlopsAvx512(kFlopsPerBurst) : f32MicroKernelFlopsAvx2(kFlopsPerBurst);
  }));
}

// The probe's buffer is kept from one call to the next while the size stays the same: allocating,
// filling and releasing hundreds of MB per call left the memory system busy with page zeroing and
// write-backs, and a GEMV timed right after one read 34 GB/s where it read 49 back to back.
double measureReadGbps(int64_t bytes, int repeats) {
  static std::mutex mutex;
  static float* buf = nullptr;
  static int64_t held = 0;
  std::lock_guard<std::mutex> lock(mutex);
  int64_t n = bytes / 4;
  n -= n % 1024;
  if (n <= 0) return 0.0;
  if (n != held) {
    std::free(buf);
    held = 0;
    buf = static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(n) * 4));
    if (buf == nullptr) return 0.0;
    // The buffer in huge pages, as tensors and generated weights are: the reading is the ceiling.
    // (A GiB is malloc's mmap threshold: the buffer is a mapping of its own, outside the heap.)
    adviseRangeHugePages(buf, static_cast<size_t>(n) * 4);
    parallelFor(n, 1024, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) buf[i] = 1.0f;
    });
    held = n;
  }
  Isa isa = bestIsa();
  double best = 0.0;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = Clock::now();
    parallelFor(n, 1024, [&](int64_t b, int64_t e) {
      float s = isa == Isa::Avx512 ? sumAvx512(buf + b, e - b)
                : isa == Isa::Avx2 ? sumAvx2(buf + b, e - b)
                                   : sumPortable(buf + b, e - b);
      sink.store(s, std::memory_order_relaxed);
    });
    double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, static_cast<double>(n) * 4 / dt / 1e9);
  }
  return best;
}

}  // namespace shorten
