// Cache-blocked (BLIS-style) f32 GEMM driver shared by the AVX2 and AVX-512 paths. Each path's
// .cc includes it with its own micro-kernel and ISA flags, so everything here stays in an
// anonymous namespace: no instantiation compiled for one ISA can be picked up by another.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels.h"
#include "scratch_buffer.h"
#include "thread_pool.h"

namespace shorten {
namespace {

// GemmF32Args with B stored as f16 bits: the driver widens B exactly while packing it, so f16 weights
// run at the f32 kernel's rate (the packed panels are the same f32 layout).
using GemmF16BArgs = GemmArgsB<uint16_t>;

// Eight consecutive elements of a row as f32: loaded, or widened from f16 bits.
inline __m256 load8(const float* x) { return _mm256_loadu_ps(x); }
inline __m256 load8(const uint16_t* x) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x)));
}
inline float toF32(float x) { return x; }
inline float toF32(uint16_t x) { return f16ToF32(x); }

// Writes the 8×8 block at src (row stride ld) transposed to dst (row stride dstLd), as f32.
template <class T>
inline void transpose8x8(const T* src, int64_t ld, float* dst, int64_t dstLd) {
  __m256 r0 = load8(src + 0 * ld), r1 = load8(src + 1 * ld);
  __m256 r2 = load8(src + 2 * ld), r3 = load8(src + 3 * ld);
  __m256 r4 = load8(src + 4 * ld), r5 = load8(src + 5 * ld);
  __m256 r6 = load8(src + 6 * ld), r7 = load8(src + 7 * ld);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(dst + 0 * dstLd, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + 1 * dstLd, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * dstLd, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * dstLd, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * dstLd, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * dstLd, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * dstLd, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * dstLd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

// Packs a rows × kc block into ceil(rows / W) panels of kc × W (panel q at out + q*W*kc),
// one lane per row, padding lanes zeroed so the micro-kernel never sees garbage. Element
// (r, l) is at x[r*ld + l] when depthContiguous, else at x[l*ld + r]; T is float, or uint16_t for f16
// bits widened exactly. Both orders walk the source a few long rows at a time: one pass over
// hundreds of short strided pieces defeats the hardware prefetcher and packing then waits on DRAM.
template <int W, class T>
void packBlock(const T* x, int64_t ld, bool depthContiguous, int64_t rows, int64_t kc, float* out) {
  const int64_t fullRows = rows / W * W;
  if (!depthContiguous) {
    // Depth blocks of 16: the 16 source rows stay in L1 while every panel takes its 16 contiguous
    // depth steps, so the writes stream too (one depth step at a time scattered them over all the
    // panels, a page apart: TN's A packing then cost as much as not packing A saves).
    // Each piece read also prefetches the same columns one depth block further on: the source rows
    // are a few hundred bytes each, too short for the hardware prefetcher, and the copy otherwise
    // waits on memory for each (+1-1.5% on 2-thread NN and TN 512×2048×5632, interleaved runs).
    constexpr int64_t kDepthBlock = 16;
    for (int64_t l0 = 0; l0 < kc; l0 += kDepthBlock) {
      const int64_t l1 = std::min(kc, l0 + kDepthBlock);
      for (int64_t r0 = 0; r0 < fullRows; r0 += W) {
        float* panel = out + r0 * kc;
        for (int64_t l = l0; l < l1; ++l) {
          const T* src = x + l * ld + r0;
          if (l + kDepthBlock < kc) {
            for (int j = 0; j < W; j += 64 / static_cast<int>(sizeof(T))) {
              _mm_prefetch(reinterpret_cast<const char*>(src + kDepthBlock * ld + j), _MM_HINT_T0);
            }
          }
          float* dst = panel + l * W;
          if constexpr (W % 8 == 0) {
            for (int j = 0; j < W; j += 8) _mm256_storeu_ps(dst + j, load8(src + j));
          } else {
            for (int j = 0; j < W; ++j) dst[j] = toF32(src[j]);
          }
        }
      }
      if (fullRows < rows) {
        const int valid = static_cast<int>(rows - fullRows);
        float* panel = out + fullRows * kc;
        for (int64_t l = l0; l < l1; ++l) {
          const T* src = x + l * ld + fullRows;
          float* dst = panel + l * W;
          for (int j = 0; j < valid; ++j) dst[j] = toF32(src[j]);
          for (int j = valid; j < W; ++j) dst[j] = 0.0f;
        }
      }
    }
    return;
  }
  for (int64_t r0 = 0; r0 < rows; r0 += W) {
    const int valid = static_cast<int>(std::min<int64_t>(W, rows - r0));
    const T* src = x + r0 * ld;
    float* panel = out + r0 * kc;
    int64_t l = 0;
    if (W % 8 == 0 && valid == W) {
      const int64_t kc8 = kc / 8 * 8;
      for (int j = 0; j < W; j += 8) {
        for (l = 0; l < kc8; l += 8) transpose8x8(src + j * ld + l, ld, panel + l * W + j, W);
      }
      l = kc8;
    }
    for (; l < kc; ++l) {
      float* o = panel + l * W;
      for (int j = 0; j < valid; ++j) o[j] = toF32(src[j * ld + l]);
      for (int j = valid; j < W; ++j) o[j] = 0.0f;
    }
  }
}

// Calls Kernel::runCols where the kernel has one (kHasRunCols): an MR-row tile narrower than NR.
template <class Kernel>
inline void runCols(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t nc, float alpha,
                    float beta) {
  if constexpr (Kernel::kHasRunCols) Kernel::runCols(kc, a, b, c, ldc, nc, alpha, beta);
}

// The blocked driver. Kernel supplies MR, NR, and run(kc, aPanel, bPanel, c, ldc, alpha, beta)
// that computes one full MR × NR tile, C = alpha·acc + beta·C, never reading C when beta == 0;
// with kHasRunCols, also runCols(kc, aPanel, bPanel, c, ldc, nc, alpha, beta) for nc < NR columns.
template <class Kernel>
struct BlockedGemm {
  static constexpr int MR = Kernel::MR;
  static constexpr int NR = Kernel::NR;
  static constexpr int64_t kMaxKc = Kernel::kMaxKc;
  static constexpr int64_t kMaxMc = Kernel::kMaxMc;
  static constexpr int64_t kMaxNc = Kernel::kMaxNc;

  // Splits extent into the fewest blocks of at most maxBlock, equal to within a multiple of
  // unit, so a k of 2100 is two blocks of 1050 rather than 2048 and a thin 52.
  static int64_t blockSize(int64_t extent, int64_t maxBlock, int64_t unit) {
    if (extent <= 0) return unit;
    int64_t blocks = (extent + maxBlock - 1) / maxBlock;
    int64_t size = (extent + blocks - 1) / blocks;
    return std::min(maxBlock, (size + unit - 1) / unit * unit);
  }

  // Edge tiles go through a scratch tile so the micro-kernel only ever sees full ones.
  static void edgeTile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t mr,
                       int64_t nr, float alpha, float beta) {
    alignas(64) float tile[MR * NR];
    Kernel::run(kc, a, b, tile, NR, 1.0f, 0.0f);
    for (int64_t i = 0; i < mr; ++i) {
      float* crow = c + i * ldc;
      const float* trow = tile + i * NR;
      if (beta == 0.0f) {
        for (int64_t j = 0; j < nr; ++j) crow[j] = alpha * trow[j];
      } else {
        for (int64_t j = 0; j < nr; ++j) crow[j] = alpha * trow[j] + beta * crow[j];
      }
    }
  }

  // C[m0:m1, n0:n1] of the whole product, on the calling thread. The A block (all of this
  // thread's rows, up to kMaxMc) is packed once per depth block and stays in L2/L3; B is
  // packed kMaxNc columns at a time into an L2-resident block, and each A micro-panel stays in
  // L1 while the micro-kernel sweeps the B block.
  template <class Args>
  static void runRange(const Args& p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    static thread_local ScratchBuffer aBuffer, bBuffer;
    const int64_t m = m1 - m0, n = n1 - n0;
    const int64_t kcMax = blockSize(p.k, kMaxKc, 8);
    const int64_t mcMax = blockSize(m, kMaxMc, MR);
    const int64_t ncMax = blockSize(n, kMaxNc, NR);
    float* aPack = aBuffer.reserve<float>((mcMax + MR) * kcMax);
    float* bPack = bBuffer.reserve<float>((ncMax + NR) * kcMax);
    // op(A)(i, l): A is m×k (depth contiguous) unless transposed; op(B)(l, j) lane j is a row of B
    // (depth contiguous) when B is transposed.
    const bool aDepthContiguous = !p.transA;
    const bool bDepthContiguous = p.transB;

    for (int64_t pc = 0; pc < p.k; pc += kcMax) {
      const int64_t kc = std::min(kcMax, p.k - pc);
      const float beta = pc == 0 ? p.beta : 1.0f;
      for (int64_t ic = m0; ic < m1; ic += mcMax) {
        const int64_t mc = std::min(mcMax, m1 - ic);
        const float* aBlock = p.transA ? p.a + pc * p.lda + ic : p.a + ic * p.lda + pc;
        packBlock<MR>(aBlock, p.lda, aDepthContiguous, mc, kc, aPack);
        for (int64_t jc = n0; jc < n1; jc += ncMax) {
          const int64_t nc = std::min(ncMax, n1 - jc);
          const auto* bBlock = p.transB ? p.b + jc * p.ldb + pc : p.b + pc * p.ldb + jc;
          packBlock<NR>(bBlock, p.ldb, bDepthContiguous, nc, kc, bPack);
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mr = std::min<int64_t>(MR, mc - ir);
            const float* aPanel = aPack + ir * kc;
            for (int64_t jr = 0; jr < nc; jr += NR) {
              const int64_t nr = std::min<int64_t>(NR, nc - jr);
              const float* bPanel = bPack + jr * kc;
              float* c = p.c + (ic + ir) * p.ldc + jc + jr;
              if (mr == MR && nr == NR) {
                Kernel::run(kc, aPanel, bPanel, c, p.ldc, p.alpha, beta);
              } else if (Kernel::kHasRunCols && mr == MR) {
                runCols<Kernel>(kc, aPanel, bPanel, c, p.ldc, nr, p.alpha, beta);
              } else {
                edgeTile(kc, aPanel, bPanel, c, p.ldc, mr, nr, p.alpha, beta);
              }
            }
          }
        }
      }
    }
  }

  // Runs the full-tile micro-kernel on cache-resident panels until at least `flops` are done, on the
  // calling thread, and returns the flops done. The A micro-panel (kMaxKc deep) stays in L1 and the
  // kMaxNc-column B block in L2, as inside a large product, with no packing and no C traffic: the
  // ceiling the blocked driver works under.
  static double microKernelFlops(double flops) {
    static thread_local ScratchBuffer aBuffer, bBuffer, cBuffer;
    static thread_local bool filled = false;  // the sizes never change, so the panels are filled once
    const int64_t kc = kMaxKc;
    const int64_t panels = std::max<int64_t>(1, kMaxNc / NR);
    float* a = aBuffer.reserve<float>(MR * kc);
    float* b = bBuffer.reserve<float>(panels * NR * kc);
    float* c = cBuffer.reserve<float>(MR * NR);
    if (!filled) {
      for (int64_t i = 0; i < MR * kc; ++i) a[i] = 1e-3f * static_cast<float>(i % 7);
      for (int64_t i = 0; i < panels * NR * kc; ++i) b[i] = 1e-3f * static_cast<float>(i % 5);
      filled = true;
    }
    const double perCall = 2.0 * MR * NR * static_cast<double>(kc);
    const int64_t calls = std::max<int64_t>(1, static_cast<int64_t>(flops / perCall + 0.5));
    for (int64_t i = 0; i < calls; ++i) Kernel::run(kc, a, b + (i % panels) * NR * kc, c, NR, 1.0f, 0.0f);
    return static_cast<double>(calls) * perCall;
  }

  // Args: GemmF32Args, or GemmF16BArgs for f16 B.
  template <class Args>
  static void run(const Args& p) {
    // Below this many flops a thread wake-up costs more than it saves.
    constexpr double kMinParallelFlops = 4e6;
    const double flops = 2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) * static_cast<double>(p.k);
    const int threads = threadCount();
    const bool splitN = p.n >= 2 * NR * threads;
    const bool splitM = !splitN && p.m >= 2 * MR * threads;
    if (threads == 1 || flops < kMinParallelFlops || (!splitN && !splitM)) {
      runRange(p, 0, p.m, 0, p.n);
      return;
    }
    // Each thread takes a slice of columns (or MR rows) and runs the full blocked loop on it with its
    // own packing buffers: no barriers, and B, the larger operand, is packed once. With narrow tiles
    // (kHasRunCols) the column slices are whole 16-column vectors, so 2048 columns split 1024/1024
    // instead of 21 panels against 21⅔.
    runOnThreads([&](int tid, int nt) {
      const int64_t extent = splitN ? p.n : p.m;
      const int64_t unit = splitN ? (Kernel::kHasRunCols ? 16 : NR) : MR;
      const int64_t units = (extent + unit - 1) / unit;
      const int64_t u0 = units * tid / nt, u1 = units * (tid + 1) / nt;
      const int64_t b = std::min(extent, u0 * unit), e = std::min(extent, u1 * unit);
      if (b >= e) return;
      if (splitN) {
        runRange(p, 0, p.m, b, e);
      } else {
        runRange(p, b, e, 0, p.n);
      }
    });
  }
};

}  // namespace
}  // namespace shorten
