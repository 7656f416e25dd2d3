// AVX-512 f32 GEMM: the blocked driver with an 8×48 micro-kernel (24 zmm accumulators keep
// both FMA pipes busy past their latency; B rows are full loads, A values embedded broadcasts).
#include "gemm_f32_blocked.h"

namespace shorten {
namespace {

struct Avx512Kernel {
  static constexpr int MR = 8;
  static constexpr int NR = 48;
  // kc 1024: C is read and written half as often as at 512, and the 8×1024 A micro-panel (32 KB)
  // still fits L1; nc 96 keeps the packed B block (384 KB) in L2. Interleaved A/B timing on
  // 512×2048×5632 (NT, 2 threads, six runs): medians 0.81–0.86 of peak against 0.78–0.83 for kc 512
  // / nc 192, ahead in every run.
  static constexpr int64_t kMaxKc = 1024;
  static constexpr int64_t kMaxMc = 1024;
  static constexpr int64_t kMaxNc = 96;

  static constexpr bool kHasRunCols = true;

  // A full 8×48 tile.
  static void run(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                  float beta) {
    tile<3, false>(kc, a, b, c, ldc, NR, alpha, beta);
  }

  // An 8-row tile of nc < 48 columns: only the vectors it has, stores masked past nc. The scratch-tile
  // path computed all 48 columns and copied, so the thread holding the last, narrow panel of 2048
  // columns (42⅔ panels) did a whole panel more work than the other.
  static void runCols(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t nc, float alpha,
                      float beta) {
    if (nc > 32) return tile<3, true>(kc, a, b, c, ldc, nc, alpha, beta);
    if (nc > 16) return tile<2, true>(kc, a, b, c, ldc, nc, alpha, beta);
    tile<1, true>(kc, a, b, c, ldc, nc, alpha, beta);
  }

 private:
  template <int NV, bool kMasked>
  static void tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t nc, float alpha,
                   float beta) {
    // C is touched only after the k loop; fetching it now hides a likely L3/DRAM miss.
    for (int i = 0; i < MR; ++i) {
      const char* row = reinterpret_cast<const char*>(c + i * ldc);
      for (int v = 0; v < NV; ++v) _mm_prefetch(row + 64 * v, _MM_HINT_T0);
      if (NV == 3) _mm_prefetch(row + 188, _MM_HINT_T0);
    }
    __m512 acc[MR][NV];
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_setzero_ps();
    }
    for (int64_t l = 0; l < kc; ++l) {
      __m512 bv[NV];
      for (int j = 0; j < NV; ++j) bv[j] = _mm512_load_ps(b + 16 * j);
      for (int i = 0; i < MR; ++i) {
        const __m512 ai = _mm512_set1_ps(a[i]);
        for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_fmadd_ps(ai, bv[j], acc[i][j]);
      }
      a += MR;
      b += NR;
    }
    __mmask16 mk[NV];
    for (int j = 0; j < NV; ++j) {
      const int64_t left = nc - 16 * j;
      mk[j] = !kMasked || left >= 16 ? __mmask16(0xffff) : __mmask16((1u << std::max<int64_t>(left, 0)) - 1);
    }
    const __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
      for (int i = 0; i < MR; ++i) {
        for (int j = 0; j < NV; ++j) {
          float* cp = c + i * ldc + 16 * j;
          if (kMasked) {
            _mm512_mask_storeu_ps(cp, mk[j], _mm512_mul_ps(va, acc[i][j]));
          } else {
            _mm512_storeu_ps(cp, _mm512_mul_ps(va, acc[i][j]));
          }
        }
      }
    } else {
      const __m512 vb = _mm512_set1_ps(beta);
      for (int i = 0; i < MR; ++i) {
        for (int j = 0; j < NV; ++j) {
          float* cp = c + i * ldc + 16 * j;
          if (kMasked) {
            const __m512 old = _mm512_maskz_loadu_ps(mk[j], cp);
            _mm512_mask_storeu_ps(cp, mk[j], _mm512_fmadd_ps(va, acc[i][j], _mm512_mul_ps(vb, old)));
          } else {
            _mm512_storeu_ps(cp, _mm512_fmadd_ps(va, acc[i][j], _mm512_mul_ps(vb, _mm512_loadu_ps(cp))));
          }
        }
      }
    }
  }
};

// For products at most 16 wide (LoRA's rank-r factors): 16×16 tiles, one zmm per row, so a
// narrow C wastes at most half a tile instead of most of a 48-wide one.
struct Avx512NarrowKernel {
  static constexpr int MR = 16;
  static constexpr int NR = 16;
  static constexpr bool kHasRunCols = false;
  static constexpr int64_t kMaxKc = 256;
  static constexpr int64_t kMaxMc = 1024;
  static constexpr int64_t kMaxNc = 16;

  static void run(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                  float beta) {
    __m512 acc[MR];
    for (int i = 0; i < MR; ++i) acc[i] = _mm512_setzero_ps();
    for (int64_t l = 0; l < kc; ++l) {
      const __m512 b0 = _mm512_load_ps(b);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i]), b0, acc[i]);
      a += MR;
      b += NR;
    }
    const __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
      for (int i = 0; i < MR; ++i) _mm512_storeu_ps(c + i * ldc, _mm512_mul_ps(va, acc[i]));
    } else {
      const __m512 vb = _mm512_set1_ps(beta);
      for (int i = 0; i < MR; ++i) {
        float* cp = c + i * ldc;
        _mm512_storeu_ps(cp, _mm512_fmadd_ps(va, acc[i], _mm512_mul_ps(vb, _mm512_loadu_ps(cp))));
      }
    }
  }
};

}  // namespace

void gemmF32Avx512(const GemmF32Args& p) {
  if (p.n <= Avx512NarrowKernel::NR) return BlockedGemm<Avx512NarrowKernel>::run(p);
  BlockedGemm<Avx512Kernel>::run(p);
}

double f32MicroKernelFlopsAvx512(double flops) { return BlockedGemm<Avx512Kernel>::microKernelFlops(flops); }

void gemmF16BAvx512(const GemmHalfArgs& p) {
  const GemmF16BArgs q{false, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc};
  if (p.n <= Avx512NarrowKernel::NR) return BlockedGemm<Avx512NarrowKernel>::run(q);
  BlockedGemm<Avx512Kernel>::run(q);
}

}  // namespace shorten
