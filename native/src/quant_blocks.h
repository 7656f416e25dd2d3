// Byte layouts of GGML's quantized blocks (ggml-common.h), as offsets into a block, plus the
// little helpers every (de)quantizer shares. Blocks may sit at any address (a GGUF tensor is only
// 32-byte aligned and a block is often an odd size), so multi-byte fields are read with memcpy.
#pragma once
#include <cstdint>
#include <cstring>

#include "kernels.h"

namespace shorten {
namespace qblock {

constexpr int kQK = 32;    // elements of a Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/IQ4_NL block
constexpr int kQKK = 256;  // elements of a K-quant / IQ4_XS super-block

// Q4_0: f16 d, 16 bytes of nibbles (low nibble element j, high nibble element j+16).
constexpr int kQ4_0Bytes = 2 + 16;
// Q4_1: f16 d, f16 m, nibbles.
constexpr int kQ4_1Bytes = 4 + 16;
// Q5_0: f16 d, u32 qh (bit e = 5th bit of element e), nibbles.
constexpr int kQ5_0Bytes = 2 + 4 + 16;
// Q5_1: f16 d, f16 m, u32 qh, nibbles.
constexpr int kQ5_1Bytes = 4 + 4 + 16;
// Q8_0: f16 d, 32 int8.
constexpr int kQ8_0Bytes = 2 + 32;
// IQ4_NL: f16 d, nibbles indexing kIq4nlValues.
constexpr int kIq4NlBytes = 2 + 16;

// Q2_K: scales[16] (low nibble scale, high nibble min), qs[64] (2 bits), f16 d, f16 dmin.
constexpr int kQ2KScales = 0, kQ2KQs = 16, kQ2KD = 80, kQ2KDmin = 82, kQ2KBytes = 84;
// Q3_K: hmask[32] (high bit), qs[64] (low 2 bits), scales[12] (16 six-bit scales), f16 d.
constexpr int kQ3KHmask = 0, kQ3KQs = 32, kQ3KScales = 96, kQ3KD = 108, kQ3KBytes = 110;
// Q4_K: f16 d, f16 dmin, scales[12] (8 six-bit scales and 8 mins), qs[128] (nibbles).
constexpr int kQ4KD = 0, kQ4KDmin = 2, kQ4KScales = 4, kQ4KQs = 16, kQ4KBytes = 144;
// Q5_K: as Q4_K, with qh[32] (5th bits) before qs.
constexpr int kQ5KD = 0, kQ5KDmin = 2, kQ5KScales = 4, kQ5KQh = 16, kQ5KQs = 48, kQ5KBytes = 176;
// Q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], f16 d.
constexpr int kQ6KQl = 0, kQ6KQh = 128, kQ6KScales = 192, kQ6KD = 208, kQ6KBytes = 210;
// IQ4_XS: f16 d, u16 scales_h (2 high bits per 32), scales_l[4] (4 low bits per 32), qs[128].
constexpr int kIq4XsD = 0, kIq4XsScalesH = 2, kIq4XsScalesL = 4, kIq4XsQs = 8, kIq4XsBytes = 136;

// The 16 non-linear levels of IQ4_NL and IQ4_XS (kvalues_iq4nl).
constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

inline uint16_t loadU16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t loadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline void storeU16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
inline void storeU32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline float loadHalf(const uint8_t* p) { return f16ToF32(loadU16(p)); }
inline void storeHalf(uint8_t* p, float v) { storeU16(p, f32ToF16(v)); }

// Scale and min j (0..7) of a Q4_K/Q5_K block from its 12 packed bytes: six bits each, the
// first four in bytes 0-7, the last four split between the nibbles of bytes 8-11 and the top
// two bits of bytes 0-7.
inline void scaleMinK4(int j, const uint8_t* q, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *min = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
  }
}

// The 16 signed six-bit scales of a Q3_K block (each minus 32): low four bits from the nibbles
// of bytes 0-7 (scales 0-7 low nibbles, 8-15 high), high two bits from bytes 8-11.
inline void q3kScales(const uint8_t* packed, int8_t* out) {
  for (int j = 0; j < 16; ++j) {
    int low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
    int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    out[j] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
}

}  // namespace qblock
}  // namespace shorten
