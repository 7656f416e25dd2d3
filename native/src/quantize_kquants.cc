// The reference quantizers of the K-quants (quantize_row_q{2,3,4,5,6}_K_ref, which llama-quantize
// runs when it has no importance matrix): per sub-block scales (and mins) by ggml's searches, the
// scales themselves quantized against one f16 super-scale, then every element re-rounded on the
// grid the stored scales give.
#include <cmath>
#include <cstring>

#include "quant.h"
#include "quant_blocks.h"
#include "quant_search.h"

namespace shorten {

using namespace qblock;

namespace {
using qsearch::nearestInt;

inline int clampInt(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

// Four 2-bit levels per byte: byte l of each 32-byte run holds elements l, l+32, l+64, l+96.
void pack2Bits(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < kQKK; j += 128)
    for (int l = 0; l < 32; ++l)
      qs[j / 4 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

}  // namespace

void ReferenceQuantizers::q2_k(const float* x, uint8_t* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK, y += kQ2KBytes) {
    uint8_t L[kQKK], Laux[16];
    float weights[16], mins[16], scales[16];
    float maxScale = 0, maxMin = 0;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] =
          qsearch::affineSearchScale(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
      if (scales[j] > maxScale) maxScale = scales[j];
      if (mins[j] > maxMin) maxMin = mins[j];
    }
    uint8_t* sc = y + kQ2KScales;
    if (maxScale > 0) {
      const float iscale = 15.f / maxScale;
      for (int j = 0; j < 16; ++j) sc[j] = static_cast<uint8_t>(nearestInt(iscale * scales[j]));
      storeHalf(y + kQ2KD, maxScale / 15.f);
    } else {
      std::memset(sc, 0, 16);
      storeHalf(y + kQ2KD, 0.f);
    }
    if (maxMin > 0) {
      const float iscale = 15.f / maxMin;
      for (int j = 0; j < 16; ++j) sc[j] = static_cast<uint8_t>(sc[j] | (nearestInt(iscale * mins[j]) << 4));
      storeHalf(y + kQ2KDmin, maxMin / 15.f);
    } else {
      storeHalf(y + kQ2KDmin, 0.f);
    }
    const float dAll = loadHalf(y + kQ2KD), mAll = loadHalf(y + kQ2KDmin);
    for (int j = 0; j < 16; ++j) {
      const float d = dAll * static_cast<float>(sc[j] & 0xF);
      if (d == 0) continue;
      const float dm = mAll * static_cast<float>(sc[j] >> 4);
      for (int l = 0; l < 16; ++l) L[16 * j + l] = static_cast<uint8_t>(clampInt(nearestInt((x[16 * j + l] + dm) / d), 0, 3));
    }
    pack2Bits(L, y + kQ2KQs);
  }
}

void ReferenceQuantizers::q3_k(const float* x, uint8_t* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK, y += kQ3KBytes) {
    int8_t L[kQKK];
    float scales[16];
    for (int j = 0; j < 16; ++j) scales[j] = qsearch::symmetricRefinedScale(16, 4, x + 16 * j, L + 16 * j);
    const float maxScale = qsearch::largestMagnitude(16, scales);
    uint8_t* packed = y + kQ3KScales;
    std::memset(packed, 0, 12);
    if (maxScale != 0) {
      const float iscale = -32.f / maxScale;
      for (int j = 0; j < 16; ++j) {
        int8_t l8 = static_cast<int8_t>(nearestInt(iscale * scales[j]));  // ggml keeps it in an int8
        int l = clampInt(l8, -32, 31) + 32;
        if (j < 8) packed[j] = static_cast<uint8_t>(l & 0xF);
        else packed[j - 8] = static_cast<uint8_t>(packed[j - 8] | ((l & 0xF) << 4));
        packed[j % 4 + 8] = static_cast<uint8_t>(packed[j % 4 + 8] | ((l >> 4) << (2 * (j / 4))));
      }
      storeHalf(y + kQ3KD, 1 / iscale);
    } else {
      storeHalf(y + kQ3KD, 0.f);
    }
    int8_t stored[16];
    q3kScales(packed, stored);
    const float dAll = loadHalf(y + kQ3KD);
    for (int j = 0; j < 16; ++j) {
      const float d = dAll * static_cast<float>(stored[j]);
      if (d == 0) continue;
      for (int l = 0; l < 16; ++l)
        L[16 * j + l] = static_cast<int8_t>(clampInt(nearestInt(x[16 * j + l] / d), -4, 3) + 4);
    }
    // High bits: bit b of hmask[m] holds element 32·b + m's fourth bit; the low two bits pack as Q2_K.
    uint8_t* hmask = y + kQ3KHmask;
    std::memset(hmask, 0, 32);
    uint8_t low[kQKK];
    for (int j = 0; j < kQKK; ++j) {
      int l = L[j];
      if (l > 3) {
        hmask[j % 32] = static_cast<uint8_t>(hmask[j % 32] | (1 << (j / 32)));
        l -= 4;
      }
      low[j] = static_cast<uint8_t>(l);
    }
    pack2Bits(low, y + kQ3KQs);
  }
}

namespace {

// Q4_K and Q5_K: 8 sub-blocks of 32 with a scale and a min each, both stored in six bits.
template <int kNmax>
void quantizeQ45K(const float* x, uint8_t* y, int64_t nb) {
  constexpr bool kFive = kNmax == 31;
  constexpr int blockBytes = kFive ? kQ5KBytes : kQ4KBytes;
  for (int64_t i = 0; i < nb; ++i, x += kQKK, y += blockBytes) {
    uint8_t L[kQKK], Laux[32];
    float weights[32], mins[8], scales[8];
    float maxScale = 0, maxMin = 0;
    for (int j = 0; j < 8; ++j) {
      const float* xb = x + 32 * j;
      float sumX2 = 0;
      for (int l = 0; l < 32; ++l) sumX2 += xb[l] * xb[l];
      const float avX = std::sqrt(sumX2 / 32);
      for (int l = 0; l < 32; ++l) weights[l] = avX + std::fabs(xb[l]);
      scales[j] = kFive ? qsearch::affineSearchScale(32, 31, xb, weights, L + 32 * j, &mins[j], Laux, -0.5f, 0.1f, 15, false)
                        : qsearch::affineSearchScale(32, 15, xb, weights, L + 32 * j, &mins[j], Laux, -1.f, 0.1f, 20, false);
      if (scales[j] > maxScale) maxScale = scales[j];
      if (mins[j] > maxMin) maxMin = mins[j];
    }
    const float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
    const float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
    uint8_t* packed = y + kQ4KScales;
    for (int j = 0; j < 8; ++j) {
      uint8_t ls = static_cast<uint8_t>(nearestInt(invScale * scales[j]));
      uint8_t lm = static_cast<uint8_t>(nearestInt(invMin * mins[j]));
      if (ls > 63) ls = 63;
      if (lm > 63) lm = 63;
      if (j < 4) {
        packed[j] = ls;
        packed[j + 4] = lm;
      } else {
        packed[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
        packed[j - 4] = static_cast<uint8_t>(packed[j - 4] | ((ls >> 4) << 6));
        packed[j] = static_cast<uint8_t>(packed[j] | ((lm >> 4) << 6));
      }
    }
    storeHalf(y + kQ4KD, maxScale / 63.f);
    storeHalf(y + kQ4KDmin, maxMin / 63.f);
    const float dAll = loadHalf(y + kQ4KD), mAll = loadHalf(y + kQ4KDmin);
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, mn;
      scaleMinK4(j, packed, &sc, &mn);
      const float d = dAll * static_cast<float>(sc);
      if (d == 0) continue;
      const float dm = mAll * static_cast<float>(mn);
      for (int l = 0; l < 32; ++l)
        L[32 * j + l] = static_cast<uint8_t>(clampInt(nearestInt((x[32 * j + l] + dm) / d), 0, kNmax));
    }
    // Each 64-element run: byte l holds element l (low nibble) and l+32 (high); Q5_K's fifth bits
    // go to qh[l], two bits per run.
    uint8_t* ql = y + (kFive ? kQ5KQs : kQ4KQs);
    uint8_t* qh = y + kQ5KQh;
    if (kFive) std::memset(qh, 0, 32);
    for (int n = 0, run = 0; n < kQKK; n += 64, ++run, ql += 32) {
      for (int l = 0; l < 32; ++l) {
        int l1 = L[n + l], l2 = L[n + l + 32];
        if (kFive) {
          if (l1 > 15) {
            l1 -= 16;
            qh[l] = static_cast<uint8_t>(qh[l] | (1 << (2 * run)));
          }
          if (l2 > 15) {
            l2 -= 16;
            qh[l] = static_cast<uint8_t>(qh[l] | (2 << (2 * run)));
          }
        }
        ql[l] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
    }
  }
}

}  // namespace

void ReferenceQuantizers::q4_k(const float* x, uint8_t* y, int64_t nb) { quantizeQ45K<15>(x, y, nb); }
void ReferenceQuantizers::q5_k(const float* x, uint8_t* y, int64_t nb) { quantizeQ45K<31>(x, y, nb); }

void ReferenceQuantizers::q6_k(const float* x, uint8_t* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK, y += kQ6KBytes) {
    int8_t L[kQKK];
    float scales[16];
    for (int ib = 0; ib < 16; ++ib) scales[ib] = qsearch::symmetricWeightedScale(16, 32, x + 16 * ib, L + 16 * ib);
    const float maxScale = qsearch::largestMagnitude(16, scales);
    if (std::fabs(maxScale) < qsearch::kGroupMaxEps) {
      std::memset(y, 0, kQ6KBytes);
      continue;
    }
    const float iscale = -128.f / maxScale;
    storeHalf(y + kQ6KD, 1 / iscale);
    int8_t* sc = reinterpret_cast<int8_t*>(y + kQ6KScales);
    for (int ib = 0; ib < 16; ++ib) {
      int l = nearestInt(iscale * scales[ib]);
      sc[ib] = static_cast<int8_t>(l < 127 ? l : 127);
    }
    const float dAll = loadHalf(y + kQ6KD);
    for (int j = 0; j < 16; ++j) {
      const float d = dAll * static_cast<float>(sc[j]);
      if (d == 0) continue;
      for (int l = 0; l < 16; ++l)
        L[16 * j + l] = static_cast<int8_t>(clampInt(nearestInt(x[16 * j + l] / d), -32, 31) + 32);
    }
    // Per 128 elements: ql bytes l and l+32 hold four elements' low nibbles, qh[l] their top two bits.
    uint8_t* ql = y + kQ6KQl;
    uint8_t* qh = y + kQ6KQh;
    for (int j = 0; j < kQKK; j += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        const int a = L[j + l], b = L[j + l + 32], c = L[j + l + 64], e = L[j + l + 96];
        ql[l] = static_cast<uint8_t>((a & 0xF) | ((c & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((b & 0xF) | ((e & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6));
      }
    }
  }
}

}  // namespace shorten
