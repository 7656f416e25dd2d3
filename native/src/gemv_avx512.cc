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

// Weight rows in flight. GEMV: 8 rows, two accumulators each; streaming 256 MB of weights from
// memory (decode's situation), f32 read 0.81-0.99 of the read bandwidth with 8 rows against
// 0.73-0.94 with 4. Small-m GEMM keeps 4: m rows × R accumulators must fit the 32 registers.
constexpr int kRows = 8;
constexpr int kSmallMRows = 4;

// Each line's load comes with a prefetch of the line kPrefetchBytes further on in its row. Eight rows
// of demand loads plus their FMAs fill the out-of-order window before enough lines are in flight.
// Streaming 256 MB, interleaved with the same code without it (512 bytes ahead): bf16 0.80-0.82 ->
// 0.84-0.86 of the read bandwidth, f16 0.61-0.65 -> 0.69-0.73, f32 0.75-0.77 -> 0.80-0.83 (the same
// loads summed without FMAs read 0.96). A prefetch past the end of the weights is harmless:
// prefetches never fault. 1024 bytes rather than 512 once the prefetch crosses into the next block
// (nextBlockJump): within +-2% alone, +3-5% with it.
constexpr int64_t kPrefetchBytes = 1024;
inline void prefetchAhead(const void* p) {
  _mm_prefetch(static_cast<const char*>(p) + kPrefetchBytes, _MM_HINT_T0);
}

// What to add to a row's prefetch address at byte offset `off`: nothing while the line
// kPrefetchBytes ahead is still in the row; past the row's end, the distance to the same row of the
// next block of R rows, so that block's first lines are in flight when it starts instead of missing
// all at once. A block of 8 bf16/f16 rows of 4096 is 64 KB: streaming 256 MB, interleaved with the
// previous code, 0.77-0.80 -> 0.81-0.83 of the read bandwidth for bf16, 0.78-0.80 -> 0.83-0.85 for
// f16, 0.86-0.95 -> 0.91-0.98 for f32 (16 KB rows gain least). Past the last block it prefetches
// lines nobody reads, which is harmless. Rows are k elements of esz bytes, ld elements apart.
template <int R>
inline int64_t nextBlockJump(int64_t k, int64_t ld, int64_t esz, int64_t off) {
  return off + kPrefetchBytes >= k * esz ? (R * ld - k) * esz : 0;
}

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

// Where the rows start within their 64-byte lines, for loads that never split a line while every lane
// holds the same elements as a plain unaligned load: sums then depend on k alone, never on where
// the weights sit in memory. (Peeling each row up to its line boundary instead changed which
// elements shared a lane with the address, and a batch's sampled text with each run's allocations.)
// Applies when every row starts the same whole number of 32-bit words into a line (a row stride
// of whole lines); otherwise, or when the rows are line-aligned, the loads are plain.
struct LineShift {
  bool on = false;
  __m512i idx;  // words shift .. shift+15 of two consecutive lines
  int64_t words = 0;
  LineShift(const void* w, int64_t ldwBytes) {
    const uintptr_t addr = reinterpret_cast<uintptr_t>(w);
    if (ldwBytes % 64 != 0 || addr % 4 != 0 || addr % 64 == 0) return;
    on = true;
    words = static_cast<int64_t>(addr % 64) / 4;
    idx = _mm512_add_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                           _mm512_set1_epi32(static_cast<int>(words)));
  }
};

// The 64 bytes at p (a whole number of words past a line start): with the shift, two aligned loads
// of the lines that hold them and a permute. Only called where those bytes lie inside the weights,
// so the second line holds weights too and cannot fault.
inline __m512i loadLine(const uint16_t* p, const LineShift& ls) {
  if (!ls.on) return _mm512_loadu_si512(p);
  const uint32_t* line = reinterpret_cast<const uint32_t*>(p) - ls.words;
  return _mm512_permutex2var_epi32(_mm512_load_si512(line), ls.idx, _mm512_load_si512(line + 16));
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
    const int64_t jump = nextBlockJump<R>(p.k, p.ldw, esz, l * esz);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      prefetchAhead(static_cast<const char*>(rows[r]) + l * esz + jump);
      prefetchAhead(static_cast<const char*>(rows[r]) + (l + 16) * esz + jump);
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

// bf16 rows without widening shuffles: a 512-bit load holds 32 bf16, and its even elements shifted
// up 16 bits, its odd ones with the low half cleared, are those values as f32 already. x comes split
// into its even (xe) and odd (xo) elements, so each 64-byte line costs one full-width load, two ALU
// ops and two FMAs. Four lines per row per step: streaming 256 MB of weights this read 0.77-0.82 of
// the read bandwidth where 32-byte widening loads, two lines per row, read 0.58-0.63. The last
// k % 128 go through the widening loads. Rows 16 bytes into their lines (JavaScript arrays of a few
// MB) read through LineShift: 0.83-0.86 of the read bandwidth where plain unaligned loads, each
// splitting two lines, read 0.63-0.68 (interleaved; as much as the address-dependent peel gave).
template <int R>
void rowsBlockBf16(const GemvArgs& p, const LineShift& ls, const float* xe, const float* xo, int64_t j) {
  constexpr int kLines = 4;
  const uint16_t* rows[R];
  for (int r = 0; r < R; ++r) rows[r] = static_cast<const uint16_t*>(p.w) + (j + r) * p.ldw;
  __m512 acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm512_setzero_ps();
  const __m512i high = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
  int64_t l = 0;
  for (; l + 32 * kLines <= p.k; l += 32 * kLines) {
    const int64_t h = l / 2;
    const int64_t jump = nextBlockJump<R>(p.k, p.ldw, 2, l * 2) / 2;
#pragma GCC unroll 4
    for (int u = 0; u < kLines; ++u) {
      const __m512 e = _mm512_loadu_ps(xe + h + 16 * u), o = _mm512_loadu_ps(xo + h + 16 * u);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        prefetchAhead(rows[r] + l + 32 * u + jump);
        const __m512i v = loadLine(rows[r] + l + 32 * u, ls);
        acc0[r] = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v, 16)), e, acc0[r]);
        acc1[r] = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v, high)), o, acc1[r]);
      }
    }
  }
  for (; l < p.k; l += 16) {
    const __mmask16 m = mask16(p.k - l);
    const __m512 x0 = _mm512_maskz_loadu_ps(m, p.x + l);
    for (int r = 0; r < R; ++r) acc0[r] = _mm512_fmadd_ps(load16<WeightType::BF16>(rows[r], l, m), x0, acc0[r]);
  }
  for (int r = 0; r < R; ++r) writeY(p, j + r, _mm512_reduce_add_ps(_mm512_add_ps(acc0[r], acc1[r])));
}

// f16 rows read a full line per load too, each half widened by VCVTPH2PS: 0.69 of the read
// bandwidth against 0.59 with 32-byte loads (256 MB streamed, interleaved runs). Four lines per row
// per step, as bf16: +6-11% over two. Lines through LineShift as bf16's.
template <int R>
void rowsBlockF16(const GemvArgs& p, const LineShift& ls, int64_t j) {
  const uint16_t* rows[R];
  for (int r = 0; r < R; ++r) rows[r] = static_cast<const uint16_t*>(p.w) + (j + r) * p.ldw;
  __m512 acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm512_setzero_ps();
  int64_t l = 0;
  for (; l + 128 <= p.k; l += 128) {
    const int64_t jump = nextBlockJump<R>(p.k, p.ldw, 2, l * 2) / 2;
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
      const __m512 x0 = _mm512_loadu_ps(p.x + l + 32 * u), x1 = _mm512_loadu_ps(p.x + l + 32 * u + 16);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        prefetchAhead(rows[r] + l + 32 * u + jump);
        const __m512i v = loadLine(rows[r] + l + 32 * u, ls);
        acc0[r] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm512_castsi512_si256(v)), x0, acc0[r]);
        acc1[r] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm512_extracti64x4_epi64(v, 1)), x1, acc1[r]);
      }
    }
  }
  for (; l < p.k; l += 16) {
    const __mmask16 m = mask16(p.k - l);
    const __m512 x0 = _mm512_maskz_loadu_ps(m, p.x + l);
    for (int r = 0; r < R; ++r) acc0[r] = _mm512_fmadd_ps(load16<WeightType::F16>(rows[r], l, m), x0, acc0[r]);
  }
  for (int r = 0; r < R; ++r) writeY(p, j + r, _mm512_reduce_add_ps(_mm512_add_ps(acc0[r], acc1[r])));
}

template <WeightType T>
void rowsRange(const GemvArgs& p, const LineShift& ls, const float* xe, const float* xo, int64_t j0, int64_t j1) {
  int64_t j = j0;
  if constexpr (T == WeightType::BF16) {
    for (; j + kRows <= j1; j += kRows) rowsBlockBf16<kRows>(p, ls, xe, xo, j);
    for (; j < j1; ++j) rowsBlockBf16<1>(p, ls, xe, xo, j);
  } else if constexpr (T == WeightType::F16) {
    for (; j + kRows <= j1; j += kRows) rowsBlockF16<kRows>(p, ls, j);
    for (; j < j1; ++j) rowsBlockF16<1>(p, ls, j);
  } else {
    for (; j + kRows <= j1; j += kRows) rowsBlock<T, kRows>(p, j);
    for (; j < j1; ++j) rowsBlock<T, 1>(p, j);
  }
}

template <WeightType T>
void gemvTyped(const GemvArgs& p) {
  constexpr int64_t esz = T == WeightType::F32 ? 4 : 2;
  const int64_t bytes = p.n * p.k * esz;
  // f32 rows read plainly: at 16 bytes into a line they read the same as line-aligned rows.
  const LineShift ls(T == WeightType::F32 ? nullptr : p.w, p.ldw * esz);
  static thread_local std::vector<float> split;
  const float *xe = nullptr, *xo = nullptr;
  if constexpr (T == WeightType::BF16) {
    const int64_t half = p.k / 128 * 64;  // the part of k the even/odd loop covers, halved
    split.resize(static_cast<size_t>(2 * half));
    // half is a multiple of 64: 32 elements of x become 16 even and 16 odd ones per step.
    const __m512i evenIdx = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i oddIdx = _mm512_add_epi32(evenIdx, _mm512_set1_epi32(1));
    for (int64_t i = 0; i < half; i += 16) {
      const __m512 lo = _mm512_loadu_ps(p.x + 2 * i), hi = _mm512_loadu_ps(p.x + 2 * i + 16);
      _mm512_storeu_ps(split.data() + i, _mm512_permutex2var_ps(lo, evenIdx, hi));
      _mm512_storeu_ps(split.data() + half + i, _mm512_permutex2var_ps(lo, oddIdx, hi));
    }
    xe = split.data();
    xo = split.data() + half;
  }
  // Below ~256 KB the weights sit in cache and waking a second thread costs more than it saves.
  if (bytes < (int64_t{1} << 18) || threadCount() == 1) return rowsRange<T>(p, ls, xe, xo, 0, p.n);
  parallelFor(p.n, kRows, [&](int64_t j0, int64_t j1) { rowsRange<T>(p, ls, xe, xo, j0, j1); }, 2 * p.k);
}

// Decode at batch 2..16: the same row streaming for m activation rows at once. Each weight row is
// widened once per group of up to 4 activation rows and stays in L1 for the next group, so the
// product costs about one pass over the weights, where the packed GEMM pays for packing them. Rows
// are prefetched ahead as in the GEMV: +8-13% at m = 2 and 4, +0-5% at 8, none at 16 (compute-bound).
// The prefetch crossing into the next block of rows, 1024 bytes ahead rather than 512 (streaming 256 MB
// at m = 2, 4, 8, interleaved): bf16 0.54/0.50/0.33 -> 0.72/0.62-0.65/0.37 of the read bandwidth, f16
// 0.53/0.48/0.34 -> 0.69/0.65/0.41.
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
    const int64_t jump = nextBlockJump<R>(p.k, p.ldb, 2, l * 2) / 2;
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      if ((l & 31) == 0) prefetchAhead(rows[r] + l + jump);
      w[r] = load16<T>(rows[r], l);
    }
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
    for (; j + kSmallMRows <= j1; j += kSmallMRows) smallMRows<T, kSmallMRows>(p, j);
    for (; j < j1; ++j) smallMRows<T, 1>(p, j);
  };
  if (p.n * p.k < (int64_t{1} << 17) || threadCount() == 1) return range(0, p.n);
  parallelFor(p.n, kSmallMRows, range, 2 * p.k * p.m);
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
