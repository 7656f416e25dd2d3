// AVX2 GEMV y = alpha·W·x + beta·y for f32/bf16/f16 W: streams each row once, widening
// bf16 (shift) and f16 (F16C) to f32 exactly; the product is memory-bound.
#include <immintrin.h>

#include <algorithm>

#include "kernels.h"
#include "thread_pool.h"

namespace shorten {
namespace {

constexpr int kRows = 4;

template <WeightType T>
inline __m256 load8(const void* row, int64_t l) {
  if constexpr (T == WeightType::F32) {
    return _mm256_loadu_ps(static_cast<const float*>(row) + l);
  } else {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(row) + l));
    if constexpr (T == WeightType::BF16) {
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    } else {
      return _mm256_cvtph_ps(h);
    }
  }
}

template <WeightType T>
inline float widen1(const void* row, int64_t l) {
  if constexpr (T == WeightType::F32) {
    return static_cast<const float*>(row)[l];
  } else if constexpr (T == WeightType::BF16) {
    return bf16ToF32(static_cast<const uint16_t*>(row)[l]);
  } else {
    return f16ToF32(static_cast<const uint16_t*>(row)[l]);
  }
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <WeightType T, int R>
void rowsBlock(const GemvArgs& p, int64_t j) {
  constexpr int64_t esz = T == WeightType::F32 ? 4 : 2;
  const char* base = static_cast<const char*>(p.w);
  const void* rows[R];
  for (int r = 0; r < R; ++r) rows[r] = base + (j + r) * p.ldw * esz;
  __m256 acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  int64_t l = 0;
  for (; l + 16 <= p.k; l += 16) {
    const __m256 x0 = _mm256_loadu_ps(p.x + l), x1 = _mm256_loadu_ps(p.x + l + 8);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      acc0[r] = _mm256_fmadd_ps(load8<T>(rows[r], l), x0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(load8<T>(rows[r], l + 8), x1, acc1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    float s = hsum(_mm256_add_ps(acc0[r], acc1[r]));
    for (int64_t t = l; t < p.k; ++t) s += widen1<T>(rows[r], t) * p.x[t];
    p.y[j + r] = p.beta == 0.0f ? p.alpha * s : p.alpha * s + p.beta * p.y[j + r];
  }
}

template <WeightType T>
void rowsRange(const GemvArgs& p, int64_t j0, int64_t j1) {
  int64_t j = j0;
  for (; j + kRows <= j1; j += kRows) rowsBlock<T, kRows>(p, j);
  for (; j < j1; ++j) rowsBlock<T, 1>(p, j);
}

template <WeightType T>
void gemvTyped(const GemvArgs& p) {
  const int64_t bytes = p.n * p.k * (T == WeightType::F32 ? 4 : 2);
  // Below ~256 KB the weights sit in cache and waking a second thread costs more than it saves.
  if (bytes < (int64_t{1} << 18) || threadCount() == 1) return rowsRange<T>(p, 0, p.n);
  parallelFor(p.n, kRows, [&](int64_t j0, int64_t j1) { rowsRange<T>(p, j0, j1); }, 2 * p.k);
}

}  // namespace

void gemvAvx2(const GemvArgs& p) {
  switch (p.wType) {
    case WeightType::F32: return gemvTyped<WeightType::F32>(p);
    case WeightType::BF16: return gemvTyped<WeightType::BF16>(p);
    default: return gemvTyped<WeightType::F16>(p);
  }
}

}  // namespace shorten
