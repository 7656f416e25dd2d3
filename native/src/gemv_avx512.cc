// AVX-512 GEMV y = alpha·W·x + beta·y for f32/bf16/f16 W: memory-bound, so it streams each row
// once, widening bf16/f16 to f32 exactly (no rounding of x: the FMA units idle anyway).
// GCC 12's AVX-512 headers seed widening intrinsics with _mm512_undefined_*, which trips a
// false (maybe-)uninitialized warning at every inlined use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>

#include "kernels.h"
#include "thread_pool.h"

namespace shorten {
namespace {

constexpr int kRows = 4;  // rows in flight: 4 streams × 2 vectors = 8 independent chains

inline __mmask16 mask16(int64_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << std::max<int64_t>(n, 0)) - 1); }

template <WeightType T>
inline __m512 load16(const void* row, int64_t l, __mmask16 m) {
  if constexpr (T == WeightType::F32) {
    return _mm512_maskz_loadu_ps(m, static_cast<const float*>(row) + l);
  } else {
    const __m256i h = _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t*>(row) + l);
    if constexpr (T == WeightType::BF16) {
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    } else {
      return _mm512_cvtph_ps(h);
    }
  }
}

template <WeightType T>
inline __m512 load16(const void* row, int64_t l) {
  if constexpr (T == WeightType::F32) {
    return _mm512_loadu_ps(static_cast<const float*>(row) + l);
  } else {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(row) + l));
    if constexpr (T == WeightType::BF16) {
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    } else {
      return _mm512_cvtph_ps(h);
    }
  }
}

inline void writeY(const GemvArgs& p, int64_t j, float s) {
  p.y[j] = p.beta == 0.0f ? p.alpha * s : p.alpha * s + p.beta * p.y[j];
}

template <WeightType T, int R>
void rowsBlock(const GemvArgs& p, int64_t j) {
  constexpr int64_t esz = T == WeightType::F32 ? 4 : 2;
  const char* base = static_cast<const char*>(p.w);
  const void* rows[R];
  for (int r = 0; r < R; ++r) rows[r] = base + (j + r) * p.ldw * esz;
  __m512 acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm512_setzero_ps();
  int64_t l = 0;
  for (; l + 32 <= p.k; l += 32) {
    const __m512 x0 = _mm512_loadu_ps(p.x + l), x1 = _mm512_loadu_ps(p.x + l + 16);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      acc0[r] = _mm512_fmadd_ps(load16<T>(rows[r], l), x0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(load16<T>(rows[r], l + 16), x1, acc1[r]);
    }
  }
  for (; l < p.k; l += 16) {
    const __mmask16 m = mask16(p.k - l);
    const __m512 x0 = _mm512_maskz_loadu_ps(m, p.x + l);
    for (int r = 0; r < R; ++r) acc0[r] = _mm512_fmadd_ps(load16<T>(rows[r], l, m), x0, acc0[r]);
  }
  for (int r = 0; r < R; ++r) writeY(p, j + r, _mm512_reduce_add_ps(_mm512_add_ps(acc0[r], acc1[r])));
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

void gemvAvx512(const GemvArgs& p) {
  switch (p.wType) {
    case WeightType::F32: return gemvTyped<WeightType::F32>(p);
    case WeightType::BF16: return gemvTyped<WeightType::BF16>(p);
    default: return gemvTyped<WeightType::F16>(p);
  }
}

}  // namespace shorten
