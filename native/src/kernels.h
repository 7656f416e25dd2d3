// The compute kernels' interface: one argument struct per kernel family, and one function
// per instruction-set path with the same signature (ggml's X_generic / X_avx2 style).
// All matrices are row-major; ld* is the distance in elements between consecutive rows.
#pragma once
#include <cstdint>

namespace shorten {

// C (m×n) = alpha · op(A) · op(B) + beta · C.
// op(A) is m×k: A is stored m×k (transA false) or k×m (transA true); likewise op(B) is k×n,
// stored k×n or n×k. With beta == 0, C is written without being read (NaN in C is ignored).
// BElem is float, or uint16_t for f16 bits inside the f32 blocked driver (gemmF16BAvx512).
template <class BElem>
struct GemmArgsB {
  bool transA, transB;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t lda;
  const BElem* b;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
};
using GemmF32Args = GemmArgsB<float>;

enum class WeightType { F32 = 0, BF16 = 1, F16 = 2 };

// C (m×n) = alpha · A · op(B) + beta · C with A f32 (m×k, not transposed) and B in bf16 or f16.
// transB true: B stored n×k (a Linear weight [out, in]: y = x·Wᵀ); false: B stored k×n.
// The bf16 path on CPUs with AVX512-BF16 rounds A to bf16 and accumulates in f32, as
// PyTorch's bf16 matmul does; other paths widen B to f32 exactly.
struct GemmHalfArgs {
  bool transB;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t lda;
  const uint16_t* b;
  int64_t ldb;
  WeightType bType;  // BF16 or F16
  float beta;
  float* c;
  int64_t ldc;
};

// y (n) = alpha · W · x + beta · y, W stored n×k (row stride ldw) in f32, bf16 or f16.
// The batch-1 decode product; memory-bound. beta == 0 writes y without reading it.
struct GemvArgs {
  int64_t n, k;
  float alpha;
  const void* w;
  int64_t ldw;
  WeightType wType;
  const float* x;
  float beta;
  float* y;
};

void gemmF32Portable(const GemmF32Args& p);
void gemmF32Avx2(const GemmF32Args& p);
void gemmF32Avx512(const GemmF32Args& p);
// The f32 micro-kernel alone on cache-resident panels (BlockedGemm::microKernelFlops), for the probe.
double f32MicroKernelFlopsAvx2(double flops);
double f32MicroKernelFlopsAvx512(double flops);

void gemmHalfPortable(const GemmHalfArgs& p);
void gemmHalfAvx2(const GemmHalfArgs& p);
void gemmHalfAvx512(const GemmHalfArgs& p);
// bf16 B on AMX tiles (A rounded to bf16, f32 accumulation); only when amxActive().
void gemmHalfAmx(const GemmHalfArgs& p);
// C = alpha·op(A)·op(B) + beta·C with both operands f32 rounded to bf16 (nearest even) and f32
// accumulation: the products of bf16 training (e.g. dW = dYᵀ·X). AMX tiles where amxActive(),
// elsewhere the f32 GEMM on rounded copies.
void gemmRoundedBf16(const GemmF32Args& p);
void gemmRoundedAmx(const GemmF32Args& p);
// f16 B through the f32 blocked driver (B widened exactly while packed); the AVX-512 f16 path.
void gemmF16BAvx512(const GemmHalfArgs& p);
// transB (Linear weight) products of 2..kSmallM activation rows: weight rows streamed once, no packing.
constexpr int64_t kSmallM = 8;
void gemmHalfSmallMAvx512(const GemmHalfArgs& p);

void gemvPortable(const GemvArgs& p);
void gemvAvx2(const GemvArgs& p);
void gemvAvx512(const GemvArgs& p);

// Dispatchers: handle empty and k == 0 / alpha == 0 cases, then call the active path.
void gemmF32(const GemmF32Args& p);
void gemmHalf(const GemmHalfArgs& p);
void gemv(const GemvArgs& p);

// Scalar conversions shared by every path (round to nearest even; NaN stays NaN).
inline float bf16ToF32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}
inline uint16_t f32ToBf16(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
float f16ToF32(uint16_t h);
uint16_t f32ToF16(float f);

void convertF32ToBf16(const float* src, uint16_t* dst, int64_t n);
void convertBf16ToF32(const uint16_t* src, float* dst, int64_t n);
void convertF32ToF16(const float* src, uint16_t* dst, int64_t n);
void convertF16ToF32(const uint16_t* src, float* dst, int64_t n);

// Machine probes for the benchmark: f32 FMA peak of all threads (best short burst), the FMA rate
// the machine sustains over GEMM-length bursts (median), and memory read bandwidth.
double measurePeakGflops(double seconds);
double measureSustainedGflops(double seconds);
// The active path's f32 GEMM micro-kernel on all threads, with no packing or memory traffic: the median
// of about 12 ms bursts. 0 on the portable path, which has no separate micro-kernel.
double measureF32KernelGflops(double seconds);
double measureReadGbps(int64_t bytes, int repeats);

}  // namespace shorten
