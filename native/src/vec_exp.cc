// The vectorized exp behind softmax and SiLU: a Cephes-style range reduction x = n·ln2 + r and a
// degree-6 polynomial for exp(r), 8 lanes at a time on AVX2 (Zen 5 runs these at full rate), libm
// on the portable path.
#include "vec_exp.h"

#include <immintrin.h>

#include <cmath>

#include "cpu_features.h"

namespace shorten {
namespace {

// Below this, expf underflows to a denormal or zero: flush to 0 so -inf and very negative scores
// contribute nothing, as expf(-inf) does.
constexpr float kExpLow = -87.33654f;
constexpr float kExpHigh = 88.0f;  // keeps 2^n finite; exp(88) ≈ 1.65e38

__attribute__((target("avx2,fma"))) inline __m256 exp8(__m256 x) {
  const __m256 low = _mm256_set1_ps(kExpLow);
  const __m256 under = _mm256_cmp_ps(x, low, _CMP_LT_OQ);
  // Operand order keeps NaN: max/min return their second operand when either is NaN.
  x = _mm256_min_ps(_mm256_set1_ps(kExpHigh), _mm256_max_ps(low, x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 r2 = _mm256_mul_ps(r, r);
  p = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n by building the exponent field; n is in [-126, 128) after the clamp.
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  const __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  return _mm256_andnot_ps(under, y);
}

__attribute__((target("avx2,fma"))) double expShiftSumAvx2(float* x, int64_t n, float shift) {
  const __m256 s = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  double sum = 0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 y = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
    _mm256_storeu_ps(x + i, y);
    acc = _mm256_add_ps(acc, y);
    if ((i & 1023) == 1016) {  // spill to double now and then: long rows keep their precision
      alignas(32) float lanes[8];
      _mm256_store_ps(lanes, acc);
      for (float v : lanes) sum += v;
      acc = _mm256_setzero_ps();
    }
  }
  if (i < n) {
    const int64_t rest = n - i;
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rest)), idx);
    const __m256 v = _mm256_maskload_ps(x + i, mask);
    const __m256 y = _mm256_and_ps(exp8(_mm256_sub_ps(v, s)), _mm256_castsi256_ps(mask));
    _mm256_maskstore_ps(x + i, mask, y);
    acc = _mm256_add_ps(acc, y);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  for (float v : lanes) sum += v;
  return sum;
}

// Σ exp(x[i] - shift), nothing written: a cross-entropy row's normalizer. Eight float lanes spill
// into the double sum every 128 values, so each lane adds at most 16 terms in float.
__attribute__((target("avx2,fma"))) double expShiftSumReadAvx2(const float* x, int64_t n, float shift) {
  const __m256 s = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  double sum = 0;
  alignas(32) float lanes[8];
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    acc = _mm256_add_ps(acc, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s)));
    if ((i & 127) == 120) {
      _mm256_store_ps(lanes, acc);
      for (float v : lanes) sum += v;
      acc = _mm256_setzero_ps();
    }
  }
  _mm256_store_ps(lanes, acc);
  for (float v : lanes) sum += v;
  for (; i < n; ++i) sum += std::exp(x[i] - shift);
  return sum;
}

// out[i] += scale · exp(x[i] - shift): a cross-entropy row's gradient from its logits.
__attribute__((target("avx2,fma"))) void addScaledExpShiftAvx2(float* out, const float* x, int64_t n, float shift,
                                                                float scale) {
  const __m256 s = _mm256_set1_ps(shift), g = _mm256_set1_ps(scale);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
    _mm256_storeu_ps(out + i, _mm256_fmadd_ps(g, e, _mm256_loadu_ps(out + i)));
  }
  for (; i < n; ++i) out[i] += scale * std::exp(x[i] - shift);
}

__attribute__((target("avx2,fma"))) void siluSigmoidAvx2(float* out, float* sig, const float* x, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(x + i);
    const __m256 sg = _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(zero, g))));
    if (sig) _mm256_storeu_ps(sig + i, sg);
    _mm256_storeu_ps(out + i, _mm256_mul_ps(g, sg));
  }
  for (; i < n; ++i) {
    const float sg = 1.0f / (1.0f + std::exp(-x[i]));
    if (sig) sig[i] = sg;
    out[i] = x[i] * sg;
  }
}

}  // namespace

double expShiftSum(float* x, int64_t n, float shift) {
  if (activeIsa() != Isa::Portable) return expShiftSumAvx2(x, n, shift);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - shift);
    sum += x[i];
  }
  return sum;
}

double expShiftSumRead(const float* x, int64_t n, float shift) {
  if (activeIsa() != Isa::Portable) return expShiftSumReadAvx2(x, n, shift);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i] - shift));
  return sum;
}

void addScaledExpShift(float* out, const float* x, int64_t n, float shift, float scale) {
  if (activeIsa() != Isa::Portable) return addScaledExpShiftAvx2(out, x, n, shift, scale);
  for (int64_t i = 0; i < n; ++i) out[i] += scale * std::exp(x[i] - shift);
}

void siluSigmoid(float* out, float* sig, const float* x, int64_t n) {
  if (activeIsa() != Isa::Portable) return siluSigmoidAvx2(out, sig, x, n);
  for (int64_t i = 0; i < n; ++i) {
    const float sg = 1.0f / (1.0f + std::exp(-x[i]));
    if (sig) sig[i] = sg;
    out[i] = x[i] * sg;
  }
}

}  // namespace shorten
