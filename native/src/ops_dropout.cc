// Inverted dropout with a counter-based mask: element i is kept when a 32-bit hash of
// (seed, i) is at least p·2³², so forward and backward recompute the same mask from the seed
// alone and nothing the size of the input is stored. The hash is splitmix32's finalizer over
// seed + (i+1)·golden, which src/tensor/ops/lora-branch.ts reproduces for the float64 path.
#include <immintrin.h>

#include <cmath>

#include "cpu_features.h"
#include "ops.h"
#include "thread_pool.h"

namespace shorten {
namespace {

constexpr uint32_t kGolden = 0x9e3779b9u;

inline uint32_t mix(uint32_t z) {
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return z ^ (z >> 16);
}

void dropoutPortable(float* out, const float* x, int64_t begin, int64_t end, uint32_t threshold, float scale,
                     uint32_t seed, bool accumulate) {
  for (int64_t i = begin; i < end; ++i) {
    const float v = mix(seed + static_cast<uint32_t>(i + 1) * kGolden) >= threshold ? x[i] * scale : 0.0f;
    out[i] = accumulate ? out[i] + v : v;
  }
}

__attribute__((target("avx2,fma"))) void dropoutAvx2(float* out, const float* x, int64_t begin, int64_t end,
                                                       uint32_t threshold, float scale, uint32_t seed,
                                                       bool accumulate) {
  int64_t i = begin;
  const __m256i golden = _mm256_set1_epi32(static_cast<int>(kGolden));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0x85ebca6bu));
  const __m256i m2 = _mm256_set1_epi32(static_cast<int>(0xc2b2ae35u));
  // Unsigned z >= threshold as a signed compare after flipping the sign bits.
  const __m256i flip = _mm256_set1_epi32(static_cast<int>(0x80000000u));
  const __m256i thr = _mm256_xor_si256(_mm256_set1_epi32(static_cast<int>(threshold)), flip);
  const __m256 vscale = _mm256_set1_ps(scale);
  for (; i + 8 <= end; i += 8) {
    const __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(i + 1)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256i z = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(seed)), _mm256_mullo_epi32(idx, golden));
    z = _mm256_mullo_epi32(_mm256_xor_si256(z, _mm256_srli_epi32(z, 16)), m1);
    z = _mm256_mullo_epi32(_mm256_xor_si256(z, _mm256_srli_epi32(z, 13)), m2);
    z = _mm256_xor_si256(z, _mm256_srli_epi32(z, 16));
    // keep where z >= threshold, i.e. not (threshold > z)
    const __m256i dropped = _mm256_cmpgt_epi32(thr, _mm256_xor_si256(z, flip));
    __m256 v = _mm256_andnot_ps(_mm256_castsi256_ps(dropped), _mm256_mul_ps(_mm256_loadu_ps(x + i), vscale));
    if (accumulate) v = _mm256_add_ps(_mm256_loadu_ps(out + i), v);
    _mm256_storeu_ps(out + i, v);
  }
  dropoutPortable(out, x, i, end, threshold, scale, seed, accumulate);
}

}  // namespace

void dropoutApply(float* out, const float* x, int64_t N, double p, uint32_t seed, bool accumulate) {
  const uint32_t threshold = static_cast<uint32_t>(std::floor(p * 4294967296.0));
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  const bool simd = activeIsa() != Isa::Portable;
  parallelFor(N, 4096, [&](int64_t begin, int64_t end) {
    if (simd) dropoutAvx2(out, x, begin, end, threshold, scale, seed, accumulate);
    else dropoutPortable(out, x, begin, end, threshold, scale, seed, accumulate);
  });
}

}  // namespace shorten
