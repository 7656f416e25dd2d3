// Portable f32 GEMM: plain C++ the compiler may vectorize for the baseline target.
#include "kernels.h"
#include "thread_pool.h"

namespace shorten {

void gemmF32Portable(const GemmF32Args& p) {
  parallelFor(p.m, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float* crow = p.c + i * p.ldc;
      for (int64_t j = 0; j < p.n; ++j) {
        float acc = 0.0f;
        for (int64_t l = 0; l < p.k; ++l) {
          float a = p.transA ? p.a[l * p.lda + i] : p.a[i * p.lda + l];
          float b = p.transB ? p.b[j * p.ldb + l] : p.b[l * p.ldb + j];
          acc += a * b;
        }
        crow[j] = p.beta == 0.0f ? p.alpha * acc : p.alpha * acc + p.beta * crow[j];
      }
    }
  });
}

}  // namespace shorten
