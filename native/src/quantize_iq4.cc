// The IQ4_NL and IQ4_XS quantizers as llama-quantize runs them with no importance matrix
// (quantize_iq4_nl / quantize_iq4_xs: weights x², 7 scale trials each side; note this is not
// quantize_row_iq4_nl_ref, which tries none). Levels are the non-linear kIq4nlValues.
#include <cmath>
#include <cstring>

#include "quant.h"
#include "quant_blocks.h"
#include "quant_search.h"

namespace shorten {

using namespace qblock;

namespace {
using qsearch::bestIndexInt8;

constexpr int kTries = 7;

// The best scale of 32 elements for the non-linear levels, weighted by x² (0 for an all-zero run).
float iq4RunScale(const float* xb) {
  const int8_t* values = kIq4nlValues;
  const float max = qsearch::largestMagnitude(32, xb);
  if (std::fabs(max) < qsearch::kGroupMaxEps) return 0;
  auto sums = [&](float id, float* sumqx, float* sumq2) {
    *sumqx = *sumq2 = 0;
    for (int j = 0; j < 32; ++j) {
      float q = values[bestIndexInt8(16, values, id * xb[j])];
      float w = xb[j] * xb[j];
      *sumqx += w * q * xb[j];
      *sumq2 += w * q * q;
    }
  };
  float sumqx, sumq2;
  sums(1 / (-max / values[0]), &sumqx, &sumq2);
  float d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
  float best = d * sumqx;
  for (int itry = -kTries; itry <= kTries; ++itry) {
    sums(static_cast<float>(itry + values[0]) / max, &sumqx, &sumq2);
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      d = sumqx / sumq2;
      best = d * sumqx;
    }
  }
  return d;
}

// Levels of 32 elements on the grid of `scale` (index 8, the level 1, for scale 0), packed as Q4.
void iq4Pack(const float* xb, float scale, uint8_t* qs) {
  const float id = scale != 0 ? 1 / scale : 0.f;
  uint8_t L[32];
  for (int j = 0; j < 32; ++j) L[j] = static_cast<uint8_t>(bestIndexInt8(16, kIq4nlValues, id * xb[j]));
  for (int j = 0; j < 16; ++j) qs[j] = static_cast<uint8_t>(L[j] | (L[j + 16] << 4));
}

}  // namespace

void ReferenceQuantizers::iq4_nl(const float* x, uint8_t* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK, y += kIq4NlBytes) {
    const float d = iq4RunScale(x);
    storeHalf(y, d);
    iq4Pack(x, d, y + 2);
  }
}

void ReferenceQuantizers::iq4_xs(const float* x, uint8_t* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK, y += kIq4XsBytes) {
    float scales[8];
    for (int ib = 0; ib < 8; ++ib) scales[ib] = iq4RunScale(x + 32 * ib);
    const float maxScale = qsearch::largestMagnitude(8, scales);
    // Sub-block scales as signed six-bit multiples of d: low nibbles in scales_l, high bits in scales_h.
    const float d = -maxScale / 32;
    storeHalf(y + kIq4XsD, d);
    const float id = d != 0 ? 1 / d : 0.f;
    uint8_t* scalesL = y + kIq4XsScalesL;
    uint16_t scalesH = 0;
    for (int ib = 0; ib < 8; ++ib) {
      int l = qsearch::nearestInt(id * scales[ib]);
      l = l < -32 ? -32 : l > 31 ? 31 : l;
      iq4Pack(x + 32 * ib, d * static_cast<float>(l), y + kIq4XsQs + 16 * ib);
      l += 32;
      if (ib % 2 == 0) scalesL[ib / 2] = static_cast<uint8_t>(l & 0xF);
      else scalesL[ib / 2] = static_cast<uint8_t>(scalesL[ib / 2] | ((l & 0xF) << 4));
      scalesH = static_cast<uint16_t>(scalesH | ((l >> 4) << (2 * ib)));
    }
    storeU16(y + kIq4XsScalesH, scalesH);
  }
}

}  // namespace shorten
