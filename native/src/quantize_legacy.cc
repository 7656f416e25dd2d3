// The reference quantizers of the 32-element types (quantize_row_q{4_0,4_1,5_0,5_1,8_0}_ref):
// one scale (and min) from the block's extremes, then each element rounded on that grid.
#include <cfloat>
#include <cmath>

#include "quant.h"
#include "quant_blocks.h"
#include "quant_search.h"

namespace shorten {

using namespace qblock;

namespace {

// 32 levels of kBits: low nibbles two per byte (elements j and j+16) at qs; for 5 bits, the fifth
// bits as a u32 at qh (bit e for element e).
template <int kBits>
void packLevels(const uint8_t* levels, uint8_t* qh, uint8_t* qs) {
  uint32_t high = 0;
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<uint8_t>((levels[j] & 0x0F) | ((levels[j + 16] & 0x0F) << 4));
    high |= ((levels[j] & 0x10u) >> 4) << j;
    high |= ((levels[j + 16] & 0x10u) >> 4) << (j + 16);
  }
  if (kBits == 5) storeU32(qh, high);
}

// ggml truncates x·id + offset to an int8, then caps it at the top level.
template <int kBits>
uint8_t level(float scaled, float offset) {
  int l = static_cast<int8_t>(scaled + offset);
  return static_cast<uint8_t>(l < (1 << kBits) - 1 ? l : (1 << kBits) - 1);
}

// Q4_0 / Q5_0: d = (the signed element of largest magnitude) / -2^(bits-1); f16 d, then the levels.
template <int kBits>
void symmetricBlocks(const float* x, uint8_t* y, int64_t nb) {
  constexpr int blockBytes = kBits == 4 ? kQ4_0Bytes : kQ5_0Bytes;
  constexpr float half = 1 << (kBits - 1);
  for (int64_t i = 0; i < nb; ++i, x += kQK, y += blockBytes) {
    const float d = qsearch::largestMagnitude(kQK, x) / -half;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(y, d);
    uint8_t levels[kQK];
    for (int j = 0; j < kQK; ++j) levels[j] = level<kBits>(x[j] * id, half + 0.5f);
    packLevels<kBits>(levels, y + 2, y + (kBits == 4 ? 2 : 6));
  }
}

// Q4_1 / Q5_1: d = (max - min) / (2^bits - 1) and m = min; f16 d, f16 m, then the levels.
template <int kBits>
void affineBlocks(const float* x, uint8_t* y, int64_t nb) {
  constexpr int blockBytes = kBits == 4 ? kQ4_1Bytes : kQ5_1Bytes;
  for (int64_t i = 0; i < nb; ++i, x += kQK, y += blockBytes) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < kQK; ++j) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / ((1 << kBits) - 1);
    const float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(y, d);
    storeHalf(y + 2, min);
    uint8_t levels[kQK];
    for (int j = 0; j < kQK; ++j) levels[j] = level<kBits>((x[j] - min) * id, 0.5f);
    packLevels<kBits>(levels, y + 4, y + (kBits == 4 ? 4 : 8));
  }
}

}  // namespace

void ReferenceQuantizers::q4_0(const float* x, uint8_t* y, int64_t nb) { symmetricBlocks<4>(x, y, nb); }
void ReferenceQuantizers::q5_0(const float* x, uint8_t* y, int64_t nb) { symmetricBlocks<5>(x, y, nb); }
void ReferenceQuantizers::q4_1(const float* x, uint8_t* y, int64_t nb) { affineBlocks<4>(x, y, nb); }
void ReferenceQuantizers::q5_1(const float* x, uint8_t* y, int64_t nb) { affineBlocks<5>(x, y, nb); }

void ReferenceQuantizers::q8_0(const float* x, uint8_t* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, y += kQ8_0Bytes) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = amax > std::fabs(x[j]) ? amax : std::fabs(x[j]);
    const float d = amax / 127;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(y, d);
    for (int j = 0; j < kQK; ++j) y[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::round(x[j] * id)));
  }
}

}  // namespace shorten
