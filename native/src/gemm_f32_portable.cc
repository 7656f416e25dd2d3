// Portable f32 GEMM: plain C++ for CPUs without AVX2, and the reference the SIMD paths must match.
// Loop orders keep the innermost loop on contiguous memory so the compiler can vectorize it.
#include <vector>

#include "kernels.h"
#include "thread_pool.h"

namespace shorten {

void gemmF32Portable(const GemmF32Args& p) {
  parallelFor(p.m, 1, [&](int64_t i0, int64_t i1) {
    // Row accumulator for the B-not-transposed form: C's row is built as a sum of B rows.
    std::vector<float> acc(p.transB ? 0 : static_cast<size_t>(p.n));
    for (int64_t i = i0; i < i1; ++i) {
      float* crow = p.c + i * p.ldc;
      if (p.transB) {
        for (int64_t j = 0; j < p.n; ++j) {
          const float* brow = p.b + j * p.ldb;
          float sum = 0.0f;
          if (p.transA) {
            for (int64_t l = 0; l < p.k; ++l) sum += p.a[l * p.lda + i] * brow[l];
          } else {
            const float* arow = p.a + i * p.lda;
            for (int64_t l = 0; l < p.k; ++l) sum += arow[l] * brow[l];
          }
          crow[j] = p.beta == 0.0f ? p.alpha * sum : p.alpha * sum + p.beta * crow[j];
        }
        continue;
      }
      float* row = acc.data();
      for (int64_t j = 0; j < p.n; ++j) row[j] = 0.0f;
      for (int64_t l = 0; l < p.k; ++l) {
        const float a = p.transA ? p.a[l * p.lda + i] : p.a[i * p.lda + l];
        const float* brow = p.b + l * p.ldb;
        for (int64_t j = 0; j < p.n; ++j) row[j] += a * brow[j];
      }
      if (p.beta == 0.0f) {
        for (int64_t j = 0; j < p.n; ++j) crow[j] = p.alpha * row[j];
      } else {
        for (int64_t j = 0; j < p.n; ++j) crow[j] = p.alpha * row[j] + p.beta * crow[j];
      }
    }
  });
}

}  // namespace shorten
