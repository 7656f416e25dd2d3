// The reference quantizers of the 32-element types (quantize_row_q{4_0,4_1,5_0,5_1,8_0}_ref):
// one scale (and min) from the block's extremes, then each element rounded on that grid.
#include <cfloat>
#include <cmath>

#include "quant.h"
#include "quant_blocks.h"

namespace shorten {
namespace {

using namespace qblock;

// The signed element of largest magnitude (the first one, on ties).
float signedAbsMax(const float* x) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kQK; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void minMax(const float* x, float* min, float* max) {
  *min = FLT_MAX;
  *max = -FLT_MAX;
  for (int j = 0; j < kQK; ++j) {
    if (x[j] < *min) *min = x[j];
    if (x[j] > *max) *max = x[j];
  }
}

// Packs 32 five-bit levels: low nibbles as Q4, the fifth bits into a u32 (bit e for element e).
void packFiveBits(const uint8_t* levels, uint8_t* qh, uint8_t* qs) {
  uint32_t high = 0;
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<uint8_t>((levels[j] & 0x0F) | ((levels[j + 16] & 0x0F) << 4));
    high |= ((levels[j] & 0x10u) >> 4) << j;
    high |= ((levels[j + 16] & 0x10u) >> 4) << (j + 16);
  }
  storeU32(qh, high);
}

void q4_0(const float* x, uint8_t* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, y += kQ4_0Bytes) {
    const float d = signedAbsMax(x) / -8;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(y, d);
    for (int j = 0; j < 16; ++j) {
      // ggml truncates x·id + 8.5 to int8, then caps at 15.
      int lo = static_cast<int8_t>(x[j] * id + 8.5f), hi = static_cast<int8_t>(x[j + 16] * id + 8.5f);
      y[2 + j] = static_cast<uint8_t>((lo < 15 ? lo : 15) | ((hi < 15 ? hi : 15) << 4));
    }
  }
}

void q4_1(const float* x, uint8_t* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, y += kQ4_1Bytes) {
    float min, max;
    minMax(x, &min, &max);
    const float d = (max - min) / 15;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(y, d);
    storeHalf(y + 2, min);
    for (int j = 0; j < 16; ++j) {
      int lo = static_cast<int8_t>((x[j] - min) * id + 0.5f), hi = static_cast<int8_t>((x[j + 16] - min) * id + 0.5f);
      y[4 + j] = static_cast<uint8_t>((lo < 15 ? lo : 15) | ((hi < 15 ? hi : 15) << 4));
    }
  }
}

void q5_0(const float* x, uint8_t* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, y += kQ5_0Bytes) {
    const float d = signedAbsMax(x) / -16;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(y, d);
    uint8_t levels[kQK];
    for (int j = 0; j < kQK; ++j) {
      int l = static_cast<int8_t>(x[j] * id + 16.5f);
      levels[j] = static_cast<uint8_t>(l < 31 ? l : 31);
    }
    packFiveBits(levels, y + 2, y + 6);
  }
}

void q5_1(const float* x, uint8_t* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, y += kQ5_1Bytes) {
    float min, max;
    minMax(x, &min, &max);
    const float d = (max - min) / 31;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(y, d);
    storeHalf(y + 2, min);
    uint8_t levels[kQK];
    for (int j = 0; j < kQK; ++j) levels[j] = static_cast<uint8_t>((x[j] - min) * id + 0.5f);
    packFiveBits(levels, y + 4, y + 8);
  }
}

void q8_0(const float* x, uint8_t* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, y += kQ8_0Bytes) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = amax > std::fabs(x[j]) ? amax : std::fabs(x[j]);
    const float d = amax / 127;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    storeHalf(y, d);
    for (int j = 0; j < kQK; ++j) y[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::round(x[j] * id)));
  }
}

}  // namespace

QuantKernel quantKernelLegacy(QuantType type) {
  switch (type) {
    case QuantType::Q4_0: return q4_0;
    case QuantType::Q4_1: return q4_1;
    case QuantType::Q5_0: return q5_0;
    case QuantType::Q5_1: return q5_1;
    case QuantType::Q8_0: return q8_0;
    default: return nullptr;
  }
}

}  // namespace shorten
