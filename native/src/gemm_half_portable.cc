// Portable GEMM with bf16/f16 weights: widens each weight to f32 exactly, accumulates in f32.
#include "kernels.h"
#include "thread_pool.h"

namespace shorten {

void gemmHalfPortable(const GemmHalfArgs& p) {
  auto widen = [&](uint16_t h) { return p.bType == WeightType::BF16 ? bf16ToF32(h) : f16ToF32(h); };
  parallelFor(p.m, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float* crow = p.c + i * p.ldc;
      for (int64_t j = 0; j < p.n; ++j) {
        float acc = 0.0f;
        for (int64_t l = 0; l < p.k; ++l) {
          uint16_t b = p.transB ? p.b[j * p.ldb + l] : p.b[l * p.ldb + j];
          acc += p.a[i * p.lda + l] * widen(b);
        }
        crow[j] = p.beta == 0.0f ? p.alpha * acc : p.alpha * acc + p.beta * crow[j];
      }
    }
  });
}

}  // namespace shorten
