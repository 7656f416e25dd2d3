// The 16×16 in-register transpose of 32-bit words that the AVX-512 and AMX half-precision GEMMs pack
// with. static inline: each translation unit keeps its own copy, compiled with its own target flags.
#pragma once

#include <immintrin.h>

// In-register transpose of a 16×16 block of 32-bit words (row i, column c -> row c, column i).
static inline void transpose16(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  __m512i u[16];
  for (int g = 0; g < 4; ++g) {
    u[4 * g] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
    u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
  }
  // u[4g + j], 128-bit lane L, now holds column 4L + j of rows 4g..4g+3.
  for (int j = 0; j < 4; ++j) {
    __m512i v0 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x44);
    __m512i v1 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x44);
    __m512i w0 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xee);
    __m512i w1 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xee);
    r[j] = _mm512_shuffle_i32x4(v0, v1, 0x88);
    r[4 + j] = _mm512_shuffle_i32x4(v0, v1, 0xdd);
    r[8 + j] = _mm512_shuffle_i32x4(w0, w1, 0x88);
    r[12 + j] = _mm512_shuffle_i32x4(w0, w1, 0xdd);
  }
}
