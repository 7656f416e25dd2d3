// The portable dequantizers: one plain loop per type, in ggml's dequantize_row_* order of float
// operations (a product, then a difference or a sum, each rounded). The SIMD paths must match
// these bits; this file is built with -ffp-contract=off so the compiler cannot fuse them either.
#include "quant.h"
#include "quant_blocks.h"

namespace shorten {
namespace {

using namespace qblock;

struct PortableDequant {
  static void q4_0(const uint8_t* src, float* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, src += kQ4_0Bytes, y += kQK) {
      const float d = loadHalf(src);
      const uint8_t* qs = src + 2;
      for (int j = 0; j < 16; ++j) {
        y[j] = static_cast<float>((qs[j] & 0xF) - 8) * d;
        y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
      }
    }
  }

  static void q4_1(const uint8_t* src, float* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, src += kQ4_1Bytes, y += kQK) {
      const float d = loadHalf(src), m = loadHalf(src + 2);
      const uint8_t* qs = src + 4;
      for (int j = 0; j < 16; ++j) {
        y[j] = static_cast<float>(qs[j] & 0xF) * d + m;
        y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
      }
    }
  }

  // The fifth bit of element e (0..31) is bit e of qh.
  static int fifthBit(uint32_t qh, int e) { return static_cast<int>((qh >> e) & 1u) << 4; }

  static void q5_0(const uint8_t* src, float* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, src += kQ5_0Bytes, y += kQK) {
      const float d = loadHalf(src);
      const uint32_t qh = loadU32(src + 2);
      const uint8_t* qs = src + 6;
      for (int j = 0; j < 16; ++j) {
        y[j] = static_cast<float>(((qs[j] & 0xF) | fifthBit(qh, j)) - 16) * d;
        y[j + 16] = static_cast<float>(((qs[j] >> 4) | fifthBit(qh, j + 16)) - 16) * d;
      }
    }
  }

  static void q5_1(const uint8_t* src, float* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, src += kQ5_1Bytes, y += kQK) {
      const float d = loadHalf(src), m = loadHalf(src + 2);
      const uint32_t qh = loadU32(src + 4);
      const uint8_t* qs = src + 8;
      for (int j = 0; j < 16; ++j) {
        y[j] = static_cast<float>((qs[j] & 0xF) | fifthBit(qh, j)) * d + m;
        y[j + 16] = static_cast<float>((qs[j] >> 4) | fifthBit(qh, j + 16)) * d + m;
      }
    }
  }

  static void q8_0(const uint8_t* src, float* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, src += kQ8_0Bytes, y += kQK) {
      const float d = loadHalf(src);
      const int8_t* qs = reinterpret_cast<const int8_t*>(src + 2);
      for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(qs[j]) * d;
    }
  }

  static void q2_k(const uint8_t* src, float* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, src += kQ2KBytes) {
      const float d = loadHalf(src + kQ2KD), dmin = loadHalf(src + kQ2KDmin);
      const uint8_t* scales = src + kQ2KScales;
      const uint8_t* q = src + kQ2KQs;
      int is = 0;
      for (int n = 0; n < kQKK; n += 128, q += 32) {
        for (int shift = 0; shift < 8; shift += 2) {
          for (int half = 0; half < 2; ++half) {  // 16 elements from q[0..15], then 16 from q[16..31]
            const uint8_t sc = scales[is++];
            const float dl = d * static_cast<float>(sc & 0xF), ml = dmin * static_cast<float>(sc >> 4);
            for (int l = 0; l < 16; ++l) *y++ = dl * static_cast<float>((q[l + 16 * half] >> shift) & 3) - ml;
          }
        }
      }
    }
  }

  static void q3_k(const uint8_t* src, float* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, src += kQ3KBytes) {
      const float dAll = loadHalf(src + kQ3KD);
      int8_t scales[16];
      q3kScales(src + kQ3KScales, scales);
      const uint8_t* hm = src + kQ3KHmask;
      const uint8_t* q = src + kQ3KQs;
      int is = 0;
      uint8_t m = 1;
      for (int n = 0; n < kQKK; n += 128, q += 32) {
        for (int shift = 0; shift < 8; shift += 2, m = static_cast<uint8_t>(m << 1)) {
          for (int half = 0; half < 2; ++half) {
            const float dl = dAll * static_cast<float>(scales[is++]);
            for (int l = 16 * half; l < 16 * half + 16; ++l) {
              const int v = ((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4);
              *y++ = dl * static_cast<float>(v);
            }
          }
        }
      }
    }
  }

  // Q4_K and Q5_K: 4 runs of 64 elements, each two sub-blocks of 32 with their own scale and min.
  template <bool kFifthBit>
  static void q45_k(const uint8_t* src, float* y, int64_t nb) {
    const int blockBytes = kFifthBit ? kQ5KBytes : kQ4KBytes;
    for (int64_t i = 0; i < nb; ++i, src += blockBytes) {
      const float d = loadHalf(src + kQ4KD), dmin = loadHalf(src + kQ4KDmin);
      const uint8_t* packed = src + kQ4KScales;
      const uint8_t* ql = src + (kFifthBit ? kQ5KQs : kQ4KQs);
      const uint8_t* qh = src + kQ5KQh;
      for (int j = 0; j < 4; ++j, ql += 32) {
        uint8_t sc, mn;
        scaleMinK4(2 * j, packed, &sc, &mn);
        const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
        scaleMinK4(2 * j + 1, packed, &sc, &mn);
        const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(mn);
        for (int l = 0; l < 32; ++l) {
          const int hi = kFifthBit ? ((qh[l] >> (2 * j)) & 1) << 4 : 0;
          *y++ = d1 * static_cast<float>((ql[l] & 0xF) + hi) - m1;
        }
        for (int l = 0; l < 32; ++l) {
          const int hi = kFifthBit ? ((qh[l] >> (2 * j + 1)) & 1) << 4 : 0;
          *y++ = d2 * static_cast<float>((ql[l] >> 4) + hi) - m2;
        }
      }
    }
  }

  static void q6_k(const uint8_t* src, float* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, src += kQ6KBytes) {
      const float d = loadHalf(src + kQ6KD);
      const uint8_t* ql = src + kQ6KQl;
      const uint8_t* qh = src + kQ6KQh;
      const int8_t* sc = reinterpret_cast<const int8_t*>(src + kQ6KScales);
      for (int n = 0; n < kQKK; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
        for (int l = 0; l < 32; ++l) {
          const int is = l / 16;
          const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
          const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
          const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
          const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
          // (d · scale) first, then the quant: ggml's left-to-right d * sc[is] * q.
          y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
          y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
          y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
          y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
        }
      }
    }
  }

  static void iq4_nl(const uint8_t* src, float* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, src += kIq4NlBytes, y += kQK) {
      const float d = loadHalf(src);
      const uint8_t* qs = src + 2;
      for (int j = 0; j < 16; ++j) {
        y[j] = d * static_cast<float>(kIq4nlValues[qs[j] & 0xF]);
        y[j + 16] = d * static_cast<float>(kIq4nlValues[qs[j] >> 4]);
      }
    }
  }

  static void iq4_xs(const uint8_t* src, float* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, src += kIq4XsBytes) {
      const float d = loadHalf(src + kIq4XsD);
      const uint16_t scalesH = loadU16(src + kIq4XsScalesH);
      const uint8_t* scalesL = src + kIq4XsScalesL;
      const uint8_t* qs = src + kIq4XsQs;
      for (int ib = 0; ib < 8; ++ib, y += 32, qs += 16) {
        const int ls = ((scalesL[ib / 2] >> (4 * (ib % 2))) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
        const float dl = d * static_cast<float>(ls - 32);
        for (int j = 0; j < 16; ++j) {
          y[j] = dl * static_cast<float>(kIq4nlValues[qs[j] & 0xF]);
          y[j + 16] = dl * static_cast<float>(kIq4nlValues[qs[j] >> 4]);
        }
      }
    }
  }

  static void q4_k(const uint8_t* src, float* y, int64_t nb) { q45_k<false>(src, y, nb); }
  static void q5_k(const uint8_t* src, float* y, int64_t nb) { q45_k<true>(src, y, nb); }
};

}  // namespace

DequantKernel dequantKernelPortable(QuantType type) { return kernelFor<PortableDequant, DequantKernel>(type); }

}  // namespace shorten
