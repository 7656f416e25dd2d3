// The AVX2 dequantizers: dequant_simd.h over 8 int32/f32 lanes.
#include <immintrin.h>

#include "dequant_simd.h"

namespace shorten {
namespace {

struct VecAvx2 {
  static constexpr int kLanes = 8;
  using F = __m256;
  using I = __m256i;
  struct Lut {
    __m256 lo, hi;
  };

  static I loadU8(const uint8_t* p) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  static I loadI8(const uint8_t* p) {
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  static I set1(int v) { return _mm256_set1_epi32(v); }
  static I iota() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
  static I andI(I a, I b) { return _mm256_and_si256(a, b); }
  static I orI(I a, I b) { return _mm256_or_si256(a, b); }
  static I xorI(I a, I b) { return _mm256_xor_si256(a, b); }
  static I addI(I a, I b) { return _mm256_add_epi32(a, b); }
  static I subI(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I srl(I a, int n) { return _mm256_srl_epi32(a, _mm_cvtsi32_si128(n)); }
  static I sll(I a, int n) { return _mm256_sll_epi32(a, _mm_cvtsi32_si128(n)); }
  static I srlv(I a, I n) { return _mm256_srlv_epi32(a, n); }
  static F toF(I a) { return _mm256_cvtepi32_ps(a); }
  static F set1f(float v) { return _mm256_set1_ps(v); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static Lut lut(const float* table) { return {_mm256_loadu_ps(table), _mm256_loadu_ps(table + 8)}; }
  // Index bit 3 picks the upper half: moved to the sign bit, it drives the blend.
  static F lookup(const Lut& t, I idx) {
    F lo = _mm256_permutevar8x32_ps(t.lo, idx), hi = _mm256_permutevar8x32_ps(t.hi, idx);
    return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
  }
};

}  // namespace

DequantKernel dequantKernelAvx2(QuantType type) { return kernelFor<SimdDequant<VecAvx2>, DequantKernel>(type); }

}  // namespace shorten
