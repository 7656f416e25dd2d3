// AVX-512 GEMV y = alpha·W·x + beta·y for f32/bf16/f16 W: memory-bound, so it streams each row
// once, widening bf16/f16 to f32 exactly (no rounding of x: the FMA units idle anyway).
// GCC 12's AVX-512 headers seed widening intrinsics with _mm512_undefined_*, which trips a
// false (maybe-)uninitialized warning at every inlined use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <vector>

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

// Decode at batch 2..16: the same row streaming for m activation rows at once. Each weight row is
// widened once per group of up to 4 activation rows and stays in L1 for the next group, so the
// product costs about one pass over the weights, where the packed GEMM pays for packing them.
template <WeightType T, int R, int M>
void smallMBlock(const GemmHalfArgs& p, int64_t j, int64_t i0) {
  const uint16_t* rows[R];
  for (int r = 0; r < R; ++r) rows[r] = p.b + (j + r) * p.ldb;
  const float* xs[M];
  for (int i = 0; i < M; ++i) xs[i] = p.a + (i0 + i) * p.lda;
  __m512 acc[M][R];
  for (int i = 0; i < M; ++i)
    for (int r = 0; r < R; ++r) acc[i][r] = _mm512_setzero_ps();
  int64_t l = 0;
  for (; l + 16 <= p.k; l += 16) {
    __m512 w[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) w[r] = load16<T>(rows[r], l);
#pragma GCC unroll 4
    for (int i = 0; i < M; ++i) {
      const __m512 x = _mm512_loadu_ps(xs[i] + l);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) acc[i][r] = _mm512_fmadd_ps(w[r], x, acc[i][r]);
    }
  }
  if (l < p.k) {
    const __mmask16 m = mask16(p.k - l);
    __m512 w[R];
    for (int r = 0; r < R; ++r) w[r] = load16<T>(rows[r], l, m);
    for (int i = 0; i < M; ++i) {
      const __m512 x = _mm512_maskz_loadu_ps(m, xs[i] + l);
      for (int r = 0; r < R; ++r) acc[i][r] = _mm512_fmadd_ps(w[r], x, acc[i][r]);
    }
  }
  for (int i = 0; i < M; ++i)
    for (int r = 0; r < R; ++r) {
      float* c = p.c + (i0 + i) * p.ldc + j + r;
      const float s = _mm512_reduce_add_ps(acc[i][r]);
      *c = p.beta == 0.0f ? p.alpha * s : p.alpha * s + p.beta * *c;
    }
}

template <WeightType T, int R>
void smallMRows(const GemmHalfArgs& p, int64_t j) {
  int64_t i = 0;
  for (; i + 4 <= p.m; i += 4) smallMBlock<T, R, 4>(p, j, i);
  switch (p.m - i) {
    case 3: return smallMBlock<T, R, 3>(p, j, i);
    case 2: return smallMBlock<T, R, 2>(p, j, i);
    case 1: return smallMBlock<T, R, 1>(p, j, i);
    default: return;
  }
}

template <WeightType T>
void smallMTyped(const GemmHalfArgs& p) {
  auto range = [&](int64_t j0, int64_t j1) {
    int64_t j = j0;
    for (; j + kRows <= j1; j += kRows) smallMRows<T, kRows>(p, j);
    for (; j < j1; ++j) smallMRows<T, 1>(p, j);
  };
  if (p.n * p.k < (int64_t{1} << 17) || threadCount() == 1) return range(0, p.n);
  parallelFor(p.n, kRows, range, 2 * p.k * p.m);
}

}  // namespace

void gemmHalfSmallMAvx512(const GemmHalfArgs& p) {
  if (p.bType == WeightType::F16) return smallMTyped<WeightType::F16>(p);
  // Same numbers as the VDPBF16PS path: A rounded to bf16 (nearest even), products summed in f32.
  std::vector<float> rounded(static_cast<size_t>(p.m * p.k));
  for (int64_t i = 0; i < p.m; ++i) {
    const float* src = p.a + i * p.lda;
    float* dst = rounded.data() + i * p.k;
    for (int64_t l = 0; l < p.k; l += 16) {
      const __mmask16 m = mask16(p.k - l);
      const __m256i h = reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + l)));
      _mm512_mask_storeu_ps(dst + l, m, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)));
    }
  }
  GemmHalfArgs q = p;
  q.a = rounded.data();
  q.lda = p.k;
  smallMTyped<WeightType::BF16>(q);
}

void gemvAvx512(const GemvArgs& p) {
  switch (p.wType) {
    case WeightType::F32: return gemvTyped<WeightType::F32>(p);
    case WeightType::BF16: return gemvTyped<WeightType::BF16>(p);
    default: return gemvTyped<WeightType::F16>(p);
  }
}

}  // namespace shorten
