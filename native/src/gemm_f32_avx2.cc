// AVX2+FMA f32 GEMM: the blocked driver with a 6×16 micro-kernel (12 ymm accumulators cover
// the FMA latency of two pipes, leaving registers for two B rows and one broadcast).
#include "gemm_f32_blocked.h"

namespace shorten {
namespace {

struct Avx2Kernel {
  static constexpr int MR = 6;
  static constexpr int NR = 16;
  static constexpr bool kHasRunCols = false;
  static constexpr int64_t kMaxKc = 256;
  static constexpr int64_t kMaxMc = 1020;
  static constexpr int64_t kMaxNc = 384;

  static void run(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                  float beta) {
    __m256 acc[MR][2];
    for (int i = 0; i < MR; ++i) {
      acc[i][0] = _mm256_setzero_ps();
      acc[i][1] = _mm256_setzero_ps();
    }
    for (int64_t l = 0; l < kc; ++l) {
      const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
      for (int i = 0; i < MR; ++i) {
        const __m256 ai = _mm256_broadcast_ss(a + i);
        acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
        acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
      }
      a += MR;
      b += NR;
    }
    const __m256 va = _mm256_set1_ps(alpha);
    if (beta == 0.0f) {
      for (int i = 0; i < MR; ++i) {
        for (int j = 0; j < 2; ++j) _mm256_storeu_ps(c + i * ldc + 8 * j, _mm256_mul_ps(va, acc[i][j]));
      }
    } else {
      const __m256 vb = _mm256_set1_ps(beta);
      for (int i = 0; i < MR; ++i) {
        for (int j = 0; j < 2; ++j) {
          float* cp = c + i * ldc + 8 * j;
          _mm256_storeu_ps(cp, _mm256_fmadd_ps(va, acc[i][j], _mm256_mul_ps(vb, _mm256_loadu_ps(cp))));
        }
      }
    }
  }
};

}  // namespace

void gemmF32Avx2(const GemmF32Args& p) { BlockedGemm<Avx2Kernel>::run(p); }

double f32MicroKernelFlopsAvx2(double flops) { return BlockedGemm<Avx2Kernel>::microKernelFlops(flops); }

}  // namespace shorten
