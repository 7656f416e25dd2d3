// The searches llama.cpp's reference quantizers use to pick a block's scale (and min) and its
// integer levels, in ggml's exact float operations and order: every rounding is part of the
// bytes they produce, so these must not be "improved". Built with -ffp-contract=off.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace shorten {
namespace qsearch {

// Blocks whose largest magnitude is below this are stored as zeros (GROUP_MAX_EPS).
constexpr float kGroupMaxEps = 1e-15f;

// Round to nearest, ties to even, by the 1.5·2^23 trick (valid for |x| < 2^22, as ggml assumes).
inline int nearestInt(float x) {
  float v = x + 12582912.f;
  int i;
  std::memcpy(&i, &v, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// The element of largest magnitude, with its sign: the first such, or 0 when all are zero.
inline float largestMagnitude(int n, const float* x) {
  float amax = 0, max = 0;
  for (int i = 0; i < n; ++i) {
    float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  return max;
}

// The index of the level in `values` (n ascending int8 levels) nearest to x; ties go up.
inline int bestIndexInt8(int n, const int8_t* values, float x) {
  if (x <= values[0]) return 0;
  if (x >= values[n - 1]) return n - 1;
  int lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    if (x < values[mid]) hi = mid;
    else lo = mid;
  }
  return x - values[hi - 1] < values[hi] - x ? hi - 1 : hi;
}

// Symmetric levels in [-nmax, nmax-1] (stored + nmax) weighted by x², trying 18 scales around
// nmax/max (make_qx_quants with rmse_type 1 and no importance weights). Returns the scale.
float symmetricWeightedScale(int n, int nmax, const float* x, int8_t* L);

// Symmetric levels (stored + nmax) refined one element at a time (make_q3_quants with do_rmse).
float symmetricRefinedScale(int n, int nmax, const float* x, int8_t* L);

// Levels in [0, nmax] for x ≈ scale·L - min with min ≥ 0, searching nstep+1 scales from
// (nmax + rmin)/(max - min) in steps of rdelta (make_qkx2_quants). Returns the scale; *minOut = min.
float affineSearchScale(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* minOut,
                        uint8_t* Laux, float rmin, float rdelta, int nstep, bool useMad);

}  // namespace qsearch
}  // namespace shorten
