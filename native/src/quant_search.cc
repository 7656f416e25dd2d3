// ggml's scale searches for the reference quantizers (see quant_search.h). Each expression keeps
// ggml's grouping, e.g. (w·x)·l, so the sums round exactly as llama-quantize's do.
#include "quant_search.h"

#include <algorithm>
#include <cmath>

namespace shorten {
namespace qsearch {

float symmetricWeightedScale(int n, int nmax, const float* x, int8_t* L) {
  const float max = largestMagnitude(n, x);
  if (std::fabs(max) < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  auto level = [&](float iscale, int i) { return std::max(-nmax, std::min(nmax - 1, nearestInt(iscale * x[i]))); };
  float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = level(iscale, i);
    L[i] = static_cast<int8_t>(l + nmax);
    float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is)) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      int l = level(iscale, i);
      float w = x[i] * x[i];
      sumlx += w * x[i] * static_cast<float>(l);
      suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(nmax + level(iscale, i));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

float symmetricRefinedScale(int n, int nmax, const float* x, int8_t* L) {
  const float max = largestMagnitude(n, x);
  if (std::fabs(max) < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = std::max(-nmax, std::min(nmax - 1, nearestInt(iscale * x[i])));
    L[i] = static_cast<int8_t>(l);
    float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  for (int itry = 0; itry < 5; ++itry) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      float w = x[i] * x[i];
      float li = static_cast<float>(L[i]);
      float slx = sumlx - w * x[i] * li;
      if (slx > 0) {
        float sl2 = suml2 - w * li * li;
        int newL = std::max(-nmax, std::min(nmax - 1, nearestInt(x[i] * sl2 / slx)));
        if (newL != L[i]) {
          slx += w * x[i] * static_cast<float>(newL);
          sl2 += w * static_cast<float>(newL) * static_cast<float>(newL);
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = static_cast<int8_t>(newL);
            sumlx = slx;
            suml2 = sl2;
            ++changed;
          }
        }
      }
    }
    if (!changed) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

float affineSearchScale(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* minOut,
                        uint8_t* Laux, float rmin, float rdelta, int nstep, bool useMad) {
  float min = x[0], max = x[0];
  float sumW = weights[0];
  float sumX = sumW * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    float w = weights[i];
    sumW += w;
    sumX += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *minOut = -min;
    return 0.f;
  }
  auto error = [&](float scale, float offset, const uint8_t* levels) {
    float total = 0;
    for (int i = 0; i < n; ++i) {
      float diff = scale * static_cast<float>(levels[i]) + offset - x[i];
      diff = useMad ? std::fabs(diff) : diff * diff;
      total += weights[i] * diff;
    }
    return total;
  };
  float iscale = static_cast<float>(nmax) / (max - min);
  float scale = 1 / iscale;
  for (int i = 0; i < n; ++i) L[i] = static_cast<uint8_t>(std::max(0, std::min(nmax, nearestInt(iscale * (x[i] - min)))));
  float bestError = error(scale, min, L);
  if (nstep < 1) {
    *minOut = -min;
    return scale;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * static_cast<float>(is) + static_cast<float>(nmax)) / (max - min);
    float sumL = 0, sumL2 = 0, sumXL = 0;
    for (int i = 0; i < n; ++i) {
      int l = std::max(0, std::min(nmax, nearestInt(iscale * (x[i] - min))));
      Laux[i] = static_cast<uint8_t>(l);
      float w = weights[i], lf = static_cast<float>(l);
      sumL += w * lf;
      sumL2 += w * lf * lf;
      sumXL += w * lf * x[i];
    }
    float D = sumW * sumL2 - sumL * sumL;
    if (D > 0) {
      float thisScale = (sumW * sumXL - sumX * sumL) / D;
      float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = sumXL / sumL2;
      }
      float curError = error(thisScale, thisMin, Laux);
      if (curError < bestError) {
        std::memcpy(L, Laux, static_cast<size_t>(n));
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  *minOut = -min;
  return scale;
}

}  // namespace qsearch
}  // namespace shorten
