// The first-order Taylor salience of one weight matrix: Σ |W ⊙ G| in float64, W read as stored
// (f32, bf16 or f16) next to its f32 gradient. A JavaScript loop over the 2048-wide model's 850M
// weights took 2.3 of Taylor's 11 s. Each fixed block of values is summed in order into its own
// float64 and the blocks are added in order, so the result does not depend on the thread count. The
// AVX-512 path keeps the portable path's eight running sums as the eight lanes of one register, so
// both give the same bits; it reads at the memory's speed (the portable loop ran at ~9 GB/s).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_features.h"
#include "kernels.h"
#include "ops.h"
#include "thread_pool.h"

namespace shorten {

namespace {
constexpr int64_t kBlock = 1 << 14;

template <typename Load>
double blockSum(const float* g, int64_t begin, int64_t end, Load load) {
  // Eight running sums (each value's product is exact in float64: 24 × 24 bits), combined in order.
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = begin;
  for (; i + 8 <= end; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += std::fabs(static_cast<double>(load(i + j)) * g[i + j]);
  double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < end; ++i) s += std::fabs(static_cast<double>(load(i)) * g[i]);
  return s;
}

// Lane j of the accumulator is the portable path's acc[j]: element i + j of each group of eight.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,f16c"))) inline double laneSum(__m512d acc) {
  alignas(64) double a[8];
  _mm512_store_pd(a, acc);
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,f16c"))) double blockSumAvx512(const void* w, int type,
                                                                                  const float* g, int64_t begin,
                                                                                  int64_t end) {
  __m512d acc = _mm512_setzero_pd();
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    __m256 v;
    if (type == 0) {
      v = _mm256_loadu_ps(static_cast<const float*>(w) + i);
    } else {
      const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(w) + i));
      v = type == 1 ? _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)) : _mm256_cvtph_ps(h);
    }
    // The masked form only because GCC 12 warns about the unmasked one's undefined source.
    const __m512d p = _mm512_mul_pd(_mm512_maskz_cvtps_pd(0xff, v), _mm512_maskz_cvtps_pd(0xff, _mm256_loadu_ps(g + i)));
    acc = _mm512_add_pd(acc, _mm512_abs_pd(p));
  }
  double s = laneSum(acc);
  for (; i < end; ++i) {
    const float v = type == 0   ? static_cast<const float*>(w)[i]
                    : type == 1 ? bf16ToF32(static_cast<const uint16_t*>(w)[i])
                                : f16ToF32(static_cast<const uint16_t*>(w)[i]);
    s += std::fabs(static_cast<double>(v) * g[i]);
  }
  return s;
}
}  // namespace

double salienceSum(const void* w, int type, const float* g, int64_t n) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
  const bool avx512 = activeIsa() == Isa::Avx512;
  parallelFor(
      blocks, 1,
      [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const int64_t begin = b * kBlock, end = std::min(n, begin + kBlock);
          double s;
          if (avx512) {
            s = blockSumAvx512(w, type, g, begin, end);
          } else if (type == 0) {
            const float* v = static_cast<const float*>(w);
            s = blockSum(g, begin, end, [v](int64_t i) { return v[i]; });
          } else if (type == 1) {
            const uint16_t* v = static_cast<const uint16_t*>(w);
            s = blockSum(g, begin, end, [v](int64_t i) { return bf16ToF32(v[i]); });
          } else {
            const uint16_t* v = static_cast<const uint16_t*>(w);
            s = blockSum(g, begin, end, [v](int64_t i) { return f16ToF32(v[i]); });
          }
          partial[static_cast<size_t>(b)] = s;
        }
      },
      kBlock * 6);
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

}  // namespace shorten
