// The AVX-512 dequantizers: dequant_simd.h over 16 int32/f32 lanes.
// GCC 12's avx512fintrin.h passes _mm512_undefined_*() as the pass-through of unmasked shifts and
// conversions, which -Wmaybe-uninitialized then reports at every use: a false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "dequant_simd.h"

namespace shorten {
namespace {

struct VecAvx512 {
  static constexpr int kLanes = 16;
  using F = __m512;
  using I = __m512i;
  using Lut = __m512;

  static I loadU8(const uint8_t* p) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static I loadI8(const uint8_t* p) {
    return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static I set1(int v) { return _mm512_set1_epi32(v); }
  static I iota() { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
  static I andI(I a, I b) { return _mm512_and_si512(a, b); }
  static I orI(I a, I b) { return _mm512_or_si512(a, b); }
  static I xorI(I a, I b) { return _mm512_xor_si512(a, b); }
  static I addI(I a, I b) { return _mm512_add_epi32(a, b); }
  static I subI(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I srl(I a, int n) { return _mm512_srl_epi32(a, _mm_cvtsi32_si128(n)); }
  static I sll(I a, int n) { return _mm512_sll_epi32(a, _mm_cvtsi32_si128(n)); }
  static I srlv(I a, I n) { return _mm512_srlv_epi32(a, n); }
  static F toF(I a) { return _mm512_cvtepi32_ps(a); }
  static F set1f(float v) { return _mm512_set1_ps(v); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static Lut lut(const float* table) { return _mm512_loadu_ps(table); }
  static F lookup(const Lut& t, I idx) { return _mm512_permutexvar_ps(idx, t); }
};

}  // namespace

DequantKernel dequantKernelAvx512(QuantType type) { return kernelFor<SimdDequant<VecAvx512>, DequantKernel>(type); }

}  // namespace shorten
