// AVX2+FMA GEMM with bf16/f16 weights: B is widened to f32 exactly while it is packed (bf16 by
// a shift, f16 by F16C), then an f32 FMA micro-kernel runs; A is used as is, never rounded.
#include <immintrin.h>

#include <algorithm>
#include <utility>

#include "kernels.h"
#include "scratch_buffer.h"
#include "thread_pool.h"

namespace shorten {
namespace {

// Packing buffers: A as is, B widened to f32.
thread_local ScratchBuffer tlsA, tlsB;

constexpr int kMR = 6;
constexpr int kNR = 16;  // 6×16: 12 accumulators + 2 B vectors + a broadcast of the 16 ymm
constexpr int64_t kKC = 256;

// Lane i is all-ones when i < n, for maskload/maskstore on the last columns.
inline __m256i laneMask(int64_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::clamp<int64_t>(n, 0, 8))), idx);
}

// alpha and beta come by pointer: as float arguments they would sit in two of the 16 ymm
// registers through the k loop and force an accumulator to spill (a store-load chain per step).
template <int MR>
void kernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc, int64_t nc,
            const float* alphaBeta) {
  __m256 acc[MR][2];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t l = 0; l < kc; ++l) {
    const __m256 b0 = _mm256_load_ps(b + l * kNR), b1 = _mm256_load_ps(b + l * kNR + 8);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + l * MR + r);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  const float alpha = alphaBeta[0], beta = alphaBeta[1];
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (nc == kNR) {
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
      for (int v = 0; v < 2; ++v) {
        float* cp = c + r * ldc + 8 * v;
        __m256 x = _mm256_mul_ps(acc[r][v], va);
        if (beta != 0.0f) x = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cp), x);
        _mm256_storeu_ps(cp, x);
      }
    }
  } else {
    // Masked lanes are neither read nor written, so C's padding stays untouched.
    const __m256i m[2] = {laneMask(nc), laneMask(nc - 8)};
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
      for (int v = 0; v < 2; ++v) {
        float* cp = c + r * ldc + 8 * v;
        __m256 x = _mm256_mul_ps(acc[r][v], va);
        if (beta != 0.0f) x = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cp, m[v]), x);
        _mm256_maskstore_ps(cp, m[v], x);
      }
    }
  }
}

using Kernel = void (*)(int64_t, const float*, const float*, float*, int64_t, int64_t, const float*);

template <int... R>
constexpr Kernel kernelFor(int mr, std::integer_sequence<int, R...>) {
  Kernel table[] = {kernel<R + 1>...};
  return table[mr - 1];
}

// A rows [i0, i0+mc), k [l0, l0+kc) -> micro-panels [l][mr] of kMR rows (the last mr rows).
void packA(const GemmHalfArgs& p, int64_t i0, int64_t mc, int64_t l0, int64_t kc, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += kMR) {
    const int mr = static_cast<int>(std::min<int64_t>(kMR, mc - ir));
    float* panel = dst + ir * kc;
    for (int r = 0; r < mr; ++r) {
      const float* src = p.a + (i0 + ir + r) * p.lda + l0;
      for (int64_t l = 0; l < kc; ++l) panel[l * mr + r] = src[l];
    }
  }
}

inline __m256 widen8(const uint16_t* src, bool bf16) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
  return bf16 ? _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)) : _mm256_cvtph_ps(h);
}

// B columns [j0, j0+nc), k [l0, l0+kc) -> [l][kNR] f32, columns past nc zero.
void packB(const GemmHalfArgs& p, int64_t j0, int64_t nc, int64_t l0, int64_t kc, float* dst) {
  const bool bf16 = p.bType == WeightType::BF16;
  if (p.transB) {
    int64_t c = 0;
    for (; c < nc; ++c) {
      const uint16_t* src = p.b + (j0 + c) * p.ldb + l0;
      int64_t l = 0;
      // Widen 8 at a time, then scatter down the column: a transpose in the cheap direction.
      for (; l + 8 <= kc; l += 8) {
        alignas(32) float tmp[8];
        _mm256_store_ps(tmp, widen8(src + l, bf16));
        for (int t = 0; t < 8; ++t) dst[(l + t) * kNR + c] = tmp[t];
      }
      for (; l < kc; ++l) dst[l * kNR + c] = bf16 ? bf16ToF32(src[l]) : f16ToF32(src[l]);
    }
    for (; c < kNR; ++c) {
      for (int64_t l = 0; l < kc; ++l) dst[l * kNR + c] = 0.0f;
    }
  } else {
    for (int64_t l = 0; l < kc; ++l) {
      const uint16_t* src = p.b + (l0 + l) * p.ldb + j0;
      float* d = dst + l * kNR;
      if (nc == kNR) {
        _mm256_store_ps(d, widen8(src, bf16));
        _mm256_store_ps(d + 8, widen8(src + 8, bf16));
      } else {
        int64_t c = 0;
        for (; c < nc; ++c) d[c] = bf16 ? bf16ToF32(src[c]) : f16ToF32(src[c]);
        for (; c < kNR; ++c) d[c] = 0.0f;
      }
    }
  }
}

// Blocked driver. A (a row block, all of k) is packed once; then for each NC-column block of C
// every k block runs over it, so the C block (a few hundred KB) stays in L2 across k blocks.
// Within a k block each KC×NR B micro-panel is packed once (L1-resident) and every MR-row A
// micro-panel passes over it.
constexpr int64_t kABudget = int64_t{6} << 20;    // bytes of packed A per thread (L3-resident)
constexpr int64_t kCBudget = int64_t{384} << 10;  // bytes of the C block kept in L2

void gemmBlocked(const GemmHalfArgs& p, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  const int64_t mcMax = std::max<int64_t>(kMR, kABudget / (4 * p.k) / kMR * kMR);
  // Equal row blocks: a short last block would repack all of B for little work.
  const int64_t mBlocks = (i1 - i0 + mcMax - 1) / mcMax;
  const int64_t mc0 = ((i1 - i0 + mBlocks - 1) / mBlocks + kMR - 1) / kMR * kMR;
  const int64_t nc0 = std::max<int64_t>(kNR, kCBudget / (4 * mc0) / kNR * kNR);
  float* aBuf = tlsA.reserve<float>(p.k * mc0);
  float* bBuf = tlsB.reserve<float>(std::min<int64_t>(kKC, p.k) * kNR);
  for (int64_t ic = i0; ic < i1; ic += mc0) {
    const int64_t mc = std::min<int64_t>(mc0, i1 - ic);
    const int64_t mcPad = (mc + kMR - 1) / kMR * kMR;
    for (int64_t l0 = 0; l0 < p.k; l0 += kKC) packA(p, ic, mc, l0, std::min<int64_t>(kKC, p.k - l0), aBuf + mcPad * l0);
    for (int64_t jb = j0; jb < j1; jb += nc0) {
      const int64_t jbEnd = std::min<int64_t>(j1, jb + nc0);
      for (int64_t l0 = 0; l0 < p.k; l0 += kKC) {
        const int64_t kc = std::min<int64_t>(kKC, p.k - l0);
        const float alphaBeta[2] = {p.alpha, l0 == 0 ? p.beta : 1.0f};
        const float* aBlock = aBuf + mcPad * l0;
        for (int64_t jc = jb; jc < jbEnd; jc += kNR) {
          const int64_t nc = std::min<int64_t>(kNR, jbEnd - jc);
          packB(p, jc, nc, l0, kc, bBuf);
          for (int64_t ir = 0; ir < mc; ir += kMR) {
            const int mr = static_cast<int>(std::min<int64_t>(kMR, mc - ir));
            kernelFor(mr, std::make_integer_sequence<int, kMR>())(kc, aBlock + ir * kc, bBuf,
                                                                 p.c + (ic + ir) * p.ldc + jc, p.ldc, nc, alphaBeta);
          }
        }
      }
    }
  }
}

}  // namespace

void gemmHalfAvx2(const GemmHalfArgs& p) {
  const int64_t nBlocks = (p.n + kNR - 1) / kNR;
  const int64_t mBlocks = (p.m + kMR - 1) / kMR;
  if (p.m * p.n * p.k < (int64_t{1} << 18) || threadCount() == 1) return gemmBlocked(p, 0, p.m, 0, p.n);
  runOnThreads([&](int tid, int nt) {
    // Split the wider dimension (in micro-tile units) so each thread packs its own B panels.
    if (nBlocks >= 2 * nt || nBlocks >= mBlocks) {
      const int64_t b0 = nBlocks * tid / nt, b1 = nBlocks * (tid + 1) / nt;
      if (b0 < b1) gemmBlocked(p, 0, p.m, b0 * kNR, std::min(p.n, b1 * kNR));
    } else {
      const int64_t b0 = mBlocks * tid / nt, b1 = mBlocks * (tid + 1) / nt;
      if (b0 < b1) gemmBlocked(p, b0 * kMR, std::min(p.m, b1 * kMR), 0, p.n);
    }
  });
}

}  // namespace shorten
