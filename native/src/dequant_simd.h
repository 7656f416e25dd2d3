// The SIMD dequantizers, written once over a small vector interface V (8 lanes for AVX2, 16 for
// AVX-512; see dequant_avx2.cc / dequant_avx512.cc). Quants are unpacked as int32 lanes, widened
// exactly, and scaled with the same products and differences, in the same order, as
// dequant_portable.cc: per-group scales (d·sc, dmin·m) are computed as scalars exactly as there,
// so every lane gets the portable path's bits. Include only from a file built with -ffp-contract=off.
#pragma once
#include "quant.h"
#include "quant_blocks.h"

namespace shorten {

// V provides: kLanes; F (float lanes), I (int32 lanes); loadU8/loadI8 (kLanes bytes, widened),
// set1, iota (0, 1, ...), andI, orI, xorI, addI, subI, srl/sll (same count for all), srlv (per
// lane); toF, set1f, mul, add, sub, store; Lut lut(const float[16]) and lookup(Lut, I index).
template <class V>
struct SimdDequant {
  using F = typename V::F;
  using I = typename V::I;
  static constexpr int L = V::kLanes;

  // Bit `bit + lane` of qh, moved to bit 4 (the fifth bit of a Q5 quant), for lanes starting at `bit`.
  static I fifthBits(I qh, int bit) {
    return V::sll(V::andI(V::srlv(qh, V::addI(V::iota(), V::set1(bit))), V::set1(1)), 4);
  }

  static void q4_0(const uint8_t* src, float* y, int64_t nb) {
    const I low = V::set1(0xF), eight = V::set1(8);
    for (int64_t i = 0; i < nb; ++i, src += qblock::kQ4_0Bytes, y += qblock::kQK) {
      const F d = V::set1f(qblock::loadHalf(src));
      for (int j = 0; j < 16; j += L) {
        const I q = V::loadU8(src + 2 + j);
        V::store(y + j, V::mul(V::toF(V::subI(V::andI(q, low), eight)), d));
        V::store(y + j + 16, V::mul(V::toF(V::subI(V::srl(q, 4), eight)), d));
      }
    }
  }

  static void q4_1(const uint8_t* src, float* y, int64_t nb) {
    const I low = V::set1(0xF);
    for (int64_t i = 0; i < nb; ++i, src += qblock::kQ4_1Bytes, y += qblock::kQK) {
      const F d = V::set1f(qblock::loadHalf(src)), m = V::set1f(qblock::loadHalf(src + 2));
      for (int j = 0; j < 16; j += L) {
        const I q = V::loadU8(src + 4 + j);
        V::store(y + j, V::add(V::mul(V::toF(V::andI(q, low)), d), m));
        V::store(y + j + 16, V::add(V::mul(V::toF(V::srl(q, 4)), d), m));
      }
    }
  }

  static void q5_0(const uint8_t* src, float* y, int64_t nb) {
    const I low = V::set1(0xF), sixteen = V::set1(16);
    for (int64_t i = 0; i < nb; ++i, src += qblock::kQ5_0Bytes, y += qblock::kQK) {
      const F d = V::set1f(qblock::loadHalf(src));
      const I qh = V::set1(static_cast<int>(qblock::loadU32(src + 2)));
      for (int j = 0; j < 16; j += L) {
        const I q = V::loadU8(src + 6 + j);
        const I q0 = V::subI(V::orI(V::andI(q, low), fifthBits(qh, j)), sixteen);
        const I q1 = V::subI(V::orI(V::srl(q, 4), fifthBits(qh, j + 16)), sixteen);
        V::store(y + j, V::mul(V::toF(q0), d));
        V::store(y + j + 16, V::mul(V::toF(q1), d));
      }
    }
  }

  static void q5_1(const uint8_t* src, float* y, int64_t nb) {
    const I low = V::set1(0xF);
    for (int64_t i = 0; i < nb; ++i, src += qblock::kQ5_1Bytes, y += qblock::kQK) {
      const F d = V::set1f(qblock::loadHalf(src)), m = V::set1f(qblock::loadHalf(src + 2));
      const I qh = V::set1(static_cast<int>(qblock::loadU32(src + 4)));
      for (int j = 0; j < 16; j += L) {
        const I q = V::loadU8(src + 8 + j);
        const I q0 = V::orI(V::andI(q, low), fifthBits(qh, j));
        const I q1 = V::orI(V::srl(q, 4), fifthBits(qh, j + 16));
        V::store(y + j, V::add(V::mul(V::toF(q0), d), m));
        V::store(y + j + 16, V::add(V::mul(V::toF(q1), d), m));
      }
    }
  }

  static void q8_0(const uint8_t* src, float* y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, src += qblock::kQ8_0Bytes, y += qblock::kQK) {
      const F d = V::set1f(qblock::loadHalf(src));
      for (int j = 0; j < 32; j += L) V::store(y + j, V::mul(V::toF(V::loadI8(src + 2 + j)), d));
    }
  }

  static void q2_k(const uint8_t* src, float* y, int64_t nb) {
    const I three = V::set1(3);
    for (int64_t i = 0; i < nb; ++i, src += qblock::kQ2KBytes) {
      const float d = qblock::loadHalf(src + qblock::kQ2KD), dmin = qblock::loadHalf(src + qblock::kQ2KDmin);
      const uint8_t* scales = src + qblock::kQ2KScales;
      const uint8_t* q = src + qblock::kQ2KQs;
      int is = 0;
      for (int n = 0; n < qblock::kQKK; n += 128, q += 32) {
        for (int shift = 0; shift < 8; shift += 2) {
          for (int half = 0; half < 2; ++half, y += 16) {
            const uint8_t sc = scales[is++];
            const F dl = V::set1f(d * static_cast<float>(sc & 0xF));
            const F ml = V::set1f(dmin * static_cast<float>(sc >> 4));
            for (int l = 0; l < 16; l += L) {
              const I v = V::andI(V::srl(V::loadU8(q + 16 * half + l), shift), three);
              V::store(y + l, V::sub(V::mul(dl, V::toF(v)), ml));
            }
          }
        }
      }
    }
  }

  static void q3_k(const uint8_t* src, float* y, int64_t nb) {
    const I three = V::set1(3), one = V::set1(1);
    for (int64_t i = 0; i < nb; ++i, src += qblock::kQ3KBytes) {
      const float dAll = qblock::loadHalf(src + qblock::kQ3KD);
      int8_t scales[16];
      qblock::q3kScales(src + qblock::kQ3KScales, scales);
      const uint8_t* hm = src + qblock::kQ3KHmask;
      const uint8_t* q = src + qblock::kQ3KQs;
      int is = 0, bit = 0;
      for (int n = 0; n < qblock::kQKK; n += 128, q += 32) {
        for (int shift = 0; shift < 8; shift += 2, ++bit) {
          for (int half = 0; half < 2; ++half, y += 16) {
            const F dl = V::set1f(dAll * static_cast<float>(scales[is++]));
            for (int l = 0; l < 16; l += L) {
              const int at = 16 * half + l;
              const I low = V::andI(V::srl(V::loadU8(q + at), shift), three);
              // 4 is taken off where the high bit is clear: (1 - h) · 4.
              const I h = V::andI(V::srl(V::loadU8(hm + at), bit), one);
              const I v = V::subI(low, V::sll(V::xorI(h, one), 2));
              V::store(y + l, V::mul(dl, V::toF(v)));
            }
          }
        }
      }
    }
  }

  template <bool kFifthBit>
  static void q45_k(const uint8_t* src, float* y, int64_t nb) {
    const int blockBytes = kFifthBit ? qblock::kQ5KBytes : qblock::kQ4KBytes;
    const I low = V::set1(0xF), one = V::set1(1);
    for (int64_t i = 0; i < nb; ++i, src += blockBytes) {
      const float d = qblock::loadHalf(src + qblock::kQ4KD), dmin = qblock::loadHalf(src + qblock::kQ4KDmin);
      const uint8_t* packed = src + qblock::kQ4KScales;
      const uint8_t* ql = src + (kFifthBit ? qblock::kQ5KQs : qblock::kQ4KQs);
      const uint8_t* qh = src + qblock::kQ5KQh;
      for (int j = 0; j < 4; ++j, ql += 32, y += 64) {
        uint8_t sc, mn;
        qblock::scaleMinK4(2 * j, packed, &sc, &mn);
        const F d1 = V::set1f(d * static_cast<float>(sc)), m1 = V::set1f(dmin * static_cast<float>(mn));
        qblock::scaleMinK4(2 * j + 1, packed, &sc, &mn);
        const F d2 = V::set1f(d * static_cast<float>(sc)), m2 = V::set1f(dmin * static_cast<float>(mn));
        for (int l = 0; l < 32; l += L) {
          const I q = V::loadU8(ql + l);
          I q0 = V::andI(q, low), q1 = V::srl(q, 4);
          if (kFifthBit) {
            const I h = V::loadU8(qh + l);
            q0 = V::addI(q0, V::sll(V::andI(V::srl(h, 2 * j), one), 4));
            q1 = V::addI(q1, V::sll(V::andI(V::srl(h, 2 * j + 1), one), 4));
          }
          V::store(y + l, V::sub(V::mul(d1, V::toF(q0)), m1));
          V::store(y + l + 32, V::sub(V::mul(d2, V::toF(q1)), m2));
        }
      }
    }
  }

  static void q6_k(const uint8_t* src, float* y, int64_t nb) {
    const I low = V::set1(0xF), three = V::set1(3), bias = V::set1(32);
    for (int64_t i = 0; i < nb; ++i, src += qblock::kQ6KBytes) {
      const float d = qblock::loadHalf(src + qblock::kQ6KD);
      const uint8_t* ql = src + qblock::kQ6KQl;
      const uint8_t* qh = src + qblock::kQ6KQh;
      const int8_t* sc = reinterpret_cast<const int8_t*>(src + qblock::kQ6KScales);
      for (int n = 0; n < qblock::kQKK; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
        for (int l = 0; l < 32; l += L) {
          const int is = l / 16;
          const I a = V::loadU8(ql + l), b = V::loadU8(ql + l + 32), h = V::loadU8(qh + l);
          const I q1 = V::subI(V::orI(V::andI(a, low), V::sll(V::andI(h, three), 4)), bias);
          const I q2 = V::subI(V::orI(V::andI(b, low), V::sll(V::andI(V::srl(h, 2), three), 4)), bias);
          const I q3 = V::subI(V::orI(V::srl(a, 4), V::sll(V::andI(V::srl(h, 4), three), 4)), bias);
          const I q4 = V::subI(V::orI(V::srl(b, 4), V::sll(V::srl(h, 6), 4)), bias);
          V::store(y + l, V::mul(V::set1f(d * static_cast<float>(sc[is])), V::toF(q1)));
          V::store(y + l + 32, V::mul(V::set1f(d * static_cast<float>(sc[is + 2])), V::toF(q2)));
          V::store(y + l + 64, V::mul(V::set1f(d * static_cast<float>(sc[is + 4])), V::toF(q3)));
          V::store(y + l + 96, V::mul(V::set1f(d * static_cast<float>(sc[is + 6])), V::toF(q4)));
        }
      }
    }
  }

  // 16 IQ4 nibbles' levels times dl, for one run of 32 elements (low nibbles, then high).
  static void iq4Run(const typename V::Lut& lut, const uint8_t* qs, F dl, float* y) {
    const I low = V::set1(0xF);
    for (int j = 0; j < 16; j += L) {
      const I q = V::loadU8(qs + j);
      V::store(y + j, V::mul(dl, V::lookup(lut, V::andI(q, low))));
      V::store(y + j + 16, V::mul(dl, V::lookup(lut, V::srl(q, 4))));
    }
  }

  static typename V::Lut iq4Lut() {
    float levels[16];
    for (int i = 0; i < 16; ++i) levels[i] = static_cast<float>(qblock::kIq4nlValues[i]);
    return V::lut(levels);
  }

  static void iq4_nl(const uint8_t* src, float* y, int64_t nb) {
    const typename V::Lut lut = iq4Lut();
    for (int64_t i = 0; i < nb; ++i, src += qblock::kIq4NlBytes, y += qblock::kQK)
      iq4Run(lut, src + 2, V::set1f(qblock::loadHalf(src)), y);
  }

  static void iq4_xs(const uint8_t* src, float* y, int64_t nb) {
    const typename V::Lut lut = iq4Lut();
    for (int64_t i = 0; i < nb; ++i, src += qblock::kIq4XsBytes) {
      const float d = qblock::loadHalf(src + qblock::kIq4XsD);
      const uint16_t scalesH = qblock::loadU16(src + qblock::kIq4XsScalesH);
      const uint8_t* scalesL = src + qblock::kIq4XsScalesL;
      for (int ib = 0; ib < 8; ++ib, y += 32) {
        const int ls = ((scalesL[ib / 2] >> (4 * (ib % 2))) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
        iq4Run(lut, src + qblock::kIq4XsQs + 16 * ib, V::set1f(d * static_cast<float>(ls - 32)), y);
      }
    }
  }

  static void q4_k(const uint8_t* src, float* y, int64_t nb) { q45_k<false>(src, y, nb); }
  static void q5_k(const uint8_t* src, float* y, int64_t nb) { q45_k<true>(src, y, nb); }
};

}  // namespace shorten
