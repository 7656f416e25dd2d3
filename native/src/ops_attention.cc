// Fused causal grouped-query attention with an optional key padding mask. The forward keeps only
// the per-query logsumexp; the backward recomputes probabilities from it, in two passes so each
// pass writes disjoint rows: one over queries (dq), one over keys (dk, dv).
#include <cmath>
#include <limits>
#include <vector>

#include "ops.h"
#include "thread_pool.h"

namespace shorten {
namespace {

inline float dot(const float* a, const float* b, int64_t n) {
  float s = 0;
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

inline bool keyVisible(const uint8_t* keyPadding, int64_t b, int64_t T, int64_t j) {
  return keyPadding == nullptr || keyPadding[b * T + j] == 0;
}

}  // namespace

void attentionForward(float* out, float* lse, const float* q, const float* k, const float* v,
                      const uint8_t* keyPadding, int64_t B, int64_t T, int64_t Hq, int64_t Hkv, int64_t D) {
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  const int64_t group = Hq / Hkv;
  parallelFor(B * Hq * T, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> p(T);
    for (int64_t r = begin; r < end; r++) {
      const int64_t b = r / (Hq * T), h = (r / T) % Hq, t = r % T, kh = h / group;
      const float* qt = q + ((b * T + t) * Hq + h) * D;
      float* ot = out + ((b * T + t) * Hq + h) * D;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j <= t; j++) {
        if (!keyVisible(keyPadding, b, T, j)) continue;
        p[j] = scale * dot(qt, k + ((b * T + j) * Hkv + kh) * D, D);
        mx = p[j] > mx ? p[j] : mx;
      }
      for (int64_t d = 0; d < D; d++) ot[d] = 0;
      if (mx == -std::numeric_limits<float>::infinity()) {
        lse[(b * Hq + h) * T + t] = mx;
        continue;
      }
      double sum = 0;
      for (int64_t j = 0; j <= t; j++) {
        if (!keyVisible(keyPadding, b, T, j)) continue;
        p[j] = std::exp(p[j] - mx);
        sum += p[j];
      }
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t j = 0; j <= t; j++) {
        if (!keyVisible(keyPadding, b, T, j)) continue;
        const float w = p[j] * inv;
        const float* vj = v + ((b * T + j) * Hkv + kh) * D;
        for (int64_t d = 0; d < D; d++) ot[d] += w * vj[d];
      }
      lse[(b * Hq + h) * T + t] = static_cast<float>(mx + std::log(sum));
    }
  });
}

void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                       const float* v, const float* out, const float* lse, const uint8_t* keyPadding, int64_t B,
                       int64_t T, int64_t Hq, int64_t Hkv, int64_t D) {
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  const int64_t group = Hq / Hkv;
  // delta (B,Hq,T) = dout·out per query: the softmax backward's row term, used by both passes.
  std::vector<float> delta(B * Hq * T);
  parallelFor(B * Hq * T, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const int64_t b = r / (Hq * T), h = (r / T) % Hq, t = r % T;
      const int64_t at = ((b * T + t) * Hq + h) * D;
      delta[r] = dot(dout + at, out + at, D);
    }
  });
  if (dq) {
    parallelFor(B * Hq * T, 1, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; r++) {
        const float l = lse[r];
        if (l == -std::numeric_limits<float>::infinity()) continue;
        const int64_t b = r / (Hq * T), h = (r / T) % Hq, t = r % T, kh = h / group;
        const int64_t at = ((b * T + t) * Hq + h) * D;
        const float* qt = q + at;
        const float* dot_ = dout + at;
        float* dqt = dq + at;
        for (int64_t j = 0; j <= t; j++) {
          if (!keyVisible(keyPadding, b, T, j)) continue;
          const float* kj = k + ((b * T + j) * Hkv + kh) * D;
          const float* vj = v + ((b * T + j) * Hkv + kh) * D;
          const float p = std::exp(scale * dot(qt, kj, D) - l);
          const float ds = p * (dot(dot_, vj, D) - delta[r]) * scale;
          for (int64_t d = 0; d < D; d++) dqt[d] += ds * kj[d];
        }
      }
    });
  }
  if (dk || dv) {
    parallelFor(B * Hkv * T, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> dkj(D), dvj(D);
      for (int64_t r = begin; r < end; r++) {
        const int64_t b = r / (Hkv * T), kh = (r / T) % Hkv, j = r % T;
        if (!keyVisible(keyPadding, b, T, j)) continue;
        const int64_t at = ((b * T + j) * Hkv + kh) * D;
        const float* kj = k + at;
        const float* vj = v + at;
        for (int64_t d = 0; d < D; d++) dkj[d] = dvj[d] = 0;
        for (int64_t h = kh * group; h < (kh + 1) * group; h++) {
          for (int64_t t = j; t < T; t++) {
            const int64_t row = (b * Hq + h) * T + t;
            const float l = lse[row];
            if (l == -std::numeric_limits<float>::infinity()) continue;
            const int64_t qat = ((b * T + t) * Hq + h) * D;
            const float* qt = q + qat;
            const float* dot_ = dout + qat;
            const float p = std::exp(scale * dot(qt, kj, D) - l);
            for (int64_t d = 0; d < D; d++) dvj[d] += p * dot_[d];
            const float ds = p * (dot(dot_, vj, D) - delta[row]) * scale;
            for (int64_t d = 0; d < D; d++) dkj[d] += ds * qt[d];
          }
        }
        if (dk)
          for (int64_t d = 0; d < D; d++) dk[at + d] += dkj[d];
        if (dv)
          for (int64_t d = 0; d < D; d++) dv[at + d] += dvj[d];
      }
    });
  }
}

}  // namespace shorten
