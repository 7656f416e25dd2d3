// Fused causal grouped-query attention with an optional key padding mask, tiled over blocks of
// queries so the score and value products go through the GEMM kernels. The forward keeps only the
// per-query logsumexp; the backward recomputes probabilities from it (never holding T×T per head).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels.h"
#include "ops.h"
#include "thread_pool.h"
#include "vec_exp.h"

namespace shorten {
namespace {

constexpr int64_t kQueryBlock = 64;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// C (m×n) = alpha·op(A)·op(B) + beta·C, f32; called inside a pool job it runs on this thread.
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  GemmF32Args p{transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc};
  gemmF32(p);
}

inline bool keyVisible(const uint8_t* keyPadding, int64_t b, int64_t T, int64_t j) {
  return keyPadding == nullptr || keyPadding[b * T + j] == 0;
}

// Scores of queries [t0, t0+rows) of head h against keys [0, nk): s (rows×nk) = scale·Q·Kᵀ,
// with future and padding keys set to -inf.
void maskedScores(float* s, const float* q, const float* k, const uint8_t* keyPadding, int64_t b, int64_t h,
                  int64_t kh, int64_t t0, int64_t rows, int64_t nk, int64_t T, int64_t Hq, int64_t Hkv, int64_t D,
                  float scale) {
  gemm(false, true, rows, nk, D, scale, q + ((b * T + t0) * Hq + h) * D, Hq * D, k + (b * T * Hkv + kh) * D, Hkv * D,
       0.0f, s, nk);
  for (int64_t i = 0; i < rows; i++) {
    float* row = s + i * nk;
    for (int64_t j = t0 + i + 1; j < nk; j++) row[j] = kNegInf;
    if (keyPadding)
      for (int64_t j = 0; j < nk; j++)
        if (!keyVisible(keyPadding, b, T, j)) row[j] = kNegInf;
  }
}

}  // namespace

void attentionForward(float* out, float* lse, const float* q, const float* k, const float* v,
                      const uint8_t* keyPadding, int64_t B, int64_t T, int64_t Hq, int64_t Hkv, int64_t D) {
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  const int64_t group = Hq / Hkv;
  const int64_t blocks = (T + kQueryBlock - 1) / kQueryBlock;
  parallelFor(B * Hq * blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> s;
    for (int64_t task = begin; task < end; task++) {
      const int64_t b = task / (Hq * blocks), h = (task / blocks) % Hq, kh = h / group;
      const int64_t t0 = (task % blocks) * kQueryBlock, rows = std::min(kQueryBlock, T - t0), nk = t0 + rows;
      s.resize(rows * nk);
      maskedScores(s.data(), q, k, keyPadding, b, h, kh, t0, rows, nk, T, Hq, Hkv, D, scale);
      for (int64_t i = 0; i < rows; i++) {
        float* row = s.data() + i * nk;
        float mx = kNegInf;
        for (int64_t j = 0; j < nk; j++) mx = row[j] > mx ? row[j] : mx;
        float* l = lse + (b * Hq + h) * T + t0 + i;
        if (mx == kNegInf) {  // sees no key: zero output
          std::fill(row, row + nk, 0.0f);
          *l = kNegInf;
          continue;
        }
        const double sum = expShiftSum(row, nk, mx);
        const float inv = static_cast<float>(1.0 / sum);
        for (int64_t j = 0; j < nk; j++) row[j] *= inv;
        *l = static_cast<float>(mx + std::log(sum));
      }
      gemm(false, false, rows, D, nk, 1.0f, s.data(), nk, v + (b * T * Hkv + kh) * D, Hkv * D, 0.0f,
           out + ((b * T + t0) * Hq + h) * D, Hq * D);
    }
  });
}

void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                       const float* v, const float* out, const float* lse, const uint8_t* keyPadding, int64_t B,
                       int64_t T, int64_t Hq, int64_t Hkv, int64_t D) {
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  const int64_t group = Hq / Hkv;
  // One task per (batch, kv head): it owns that kv head's dk/dv rows, so no two tasks write the
  // same element, and every query head of its group accumulates into them in turn.
  parallelFor(B * Hkv, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> p, dp;
    for (int64_t task = begin; task < end; task++) {
      const int64_t b = task / Hkv, kh = task % Hkv;
      const float* kb = k + (b * T * Hkv + kh) * D;
      const float* vb = v + (b * T * Hkv + kh) * D;
      for (int64_t h = kh * group; h < (kh + 1) * group; h++) {
        for (int64_t t0 = 0; t0 < T; t0 += kQueryBlock) {
          const int64_t rows = std::min(kQueryBlock, T - t0), nk = t0 + rows;
          const int64_t at = ((b * T + t0) * Hq + h) * D;
          p.resize(rows * nk);
          dp.resize(rows * nk);
          maskedScores(p.data(), q, k, keyPadding, b, h, kh, t0, rows, nk, T, Hq, Hkv, D, scale);
          gemm(false, true, rows, nk, D, 1.0f, dout + at, Hq * D, vb, Hkv * D, 0.0f, dp.data(), nk);
          for (int64_t i = 0; i < rows; i++) {
            float* pr = p.data() + i * nk;
            float* dsr = dp.data() + i * nk;
            const float l = lse[(b * Hq + h) * T + t0 + i];
            const float* o = out + at + i * Hq * D;
            const float* g = dout + at + i * Hq * D;
            float delta = 0;  // dout·out = Σ_j p_j dp_j, the softmax backward's row term
            for (int64_t d = 0; d < D; d++) delta += g[d] * o[d];
            if (l == kNegInf) std::fill(pr, pr + nk, 0.0f);
            else expShiftSum(pr, nk, l);
            for (int64_t j = 0; j < nk; j++) dsr[j] = pr[j] * (dsr[j] - delta) * scale;
          }
          if (dq) gemm(false, false, rows, D, nk, 1.0f, dp.data(), nk, kb, Hkv * D, 1.0f, dq + at, Hq * D);
          if (dk)
            gemm(true, false, nk, D, rows, 1.0f, dp.data(), nk, q + at, Hq * D, 1.0f, dk + (b * T * Hkv + kh) * D,
                 Hkv * D);
          if (dv)
            gemm(true, false, nk, D, rows, 1.0f, p.data(), nk, dout + at, Hq * D, 1.0f, dv + (b * T * Hkv + kh) * D,
                 Hkv * D);
        }
      }
    }
  });
}

}  // namespace shorten
