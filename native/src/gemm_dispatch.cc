// Chooses the kernel path for each call and handles the cases no kernel needs to see.
#include "cpu_features.h"
#include "kernels.h"

#include <cstddef>
#include <vector>

namespace shorten {
namespace {

void scaleC(float* c, int64_t ldc, int64_t m, int64_t n, float beta) {
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < n; ++j) row[j] = 0.0f;
    } else if (beta != 1.0f) {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

}  // namespace

void gemmF32(const GemmF32Args& p) {
  if (p.m <= 0 || p.n <= 0) return;
  if (p.k <= 0 || p.alpha == 0.0f) return scaleC(p.c, p.ldc, p.m, p.n, p.beta);
  switch (activeIsa()) {
    case Isa::Avx512: return gemmF32Avx512(p);
    case Isa::Avx2: return gemmF32Avx2(p);
    default: return gemmF32Portable(p);
  }
}

void gemmHalf(const GemmHalfArgs& p) {
  if (p.m <= 0 || p.n <= 0) return;
  if (p.k <= 0 || p.alpha == 0.0f) return scaleC(p.c, p.ldc, p.m, p.n, p.beta);
  switch (activeIsa()) {
    case Isa::Avx512:
      if (p.transB && p.m <= kSmallM) return gemmHalfSmallMAvx512(p);
      return p.bType == WeightType::BF16 && amxActive() ? gemmHalfAmx(p) : gemmHalfAvx512(p);
    case Isa::Avx2: return gemmHalfAvx2(p);
    default: return gemmHalfPortable(p);
  }
}

void gemmRoundedBf16(const GemmF32Args& p) {
  if (p.m <= 0 || p.n <= 0) return;
  if (p.k <= 0 || p.alpha == 0.0f) return scaleC(p.c, p.ldc, p.m, p.n, p.beta);
  if (activeIsa() == Isa::Avx512 && amxActive()) return gemmRoundedAmx(p);
  // Elsewhere: the f32 GEMM on copies rounded to bf16, packed tight.
  auto rounded = [](const float* src, int64_t rows, int64_t cols, int64_t ld) {
    std::vector<float> out(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) out[r * cols + j] = bf16ToF32(f32ToBf16(src[r * ld + j]));
    return out;
  };
  const int64_t aRows = p.transA ? p.k : p.m, aCols = p.transA ? p.m : p.k;
  const int64_t bRows = p.transB ? p.n : p.k, bCols = p.transB ? p.k : p.n;
  const std::vector<float> a = rounded(p.a, aRows, aCols, p.lda), b = rounded(p.b, bRows, bCols, p.ldb);
  GemmF32Args q = p;
  q.a = a.data();
  q.lda = aCols;
  q.b = b.data();
  q.ldb = bCols;
  gemmF32(q);
}

void gemv(const GemvArgs& p) {
  if (p.n <= 0) return;
  if (p.k <= 0 || p.alpha == 0.0f) return scaleC(p.y, 1, 1, p.n, p.beta);
  switch (activeIsa()) {
    case Isa::Avx512: return gemvAvx512(p);
    case Isa::Avx2: return gemvAvx2(p);
    default: return gemvPortable(p);
  }
}

}  // namespace shorten
