// Softmax cross-entropy over vocabulary rows: the forward keeps only each row's logsumexp, so the
// backward recomputes softmax from the logits instead of storing an (N,V) probability matrix. The
// exps are the vectorized ones of vec_exp.cc: libm's scalar double exp made the forward over 1280 ×
// 32000 logits take 0.11 s, 5% of an f32 PPL sweep.
#include <cmath>
#include <limits>

#include "ops.h"
#include "vec_exp.h"
#include "thread_pool.h"

namespace shorten {

void crossEntropyForward(float* losses, float* lse, const float* logits, const int32_t* targets, int64_t N,
                         int64_t V) {
  parallelFor(N, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; n++) {
      const float* z = logits + n * V;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t v = 0; v < V; v++) mx = z[v] > mx ? z[v] : mx;
      const double l = mx + std::log(expShiftSumRead(z, V, mx));
      lse[n] = static_cast<float>(l);
      losses[n] = targets[n] >= 0 ? static_cast<float>(l - z[targets[n]]) : 0.0f;
    }
  }, 8 * V);
}

void crossEntropyBackward(float* dlogits, const float* dlosses, const float* logits, const float* lse,
                          const int32_t* targets, int64_t N, int64_t V) {
  parallelFor(N, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; n++) {
      if (targets[n] < 0 || dlosses[n] == 0.0f) continue;
      const float* z = logits + n * V;
      float* dz = dlogits + n * V;
      addScaledExpShift(dz, z, V, lse[n], dlosses[n]);
      dz[targets[n]] -= dlosses[n];
    }
  }, 8 * V);
}

}  // namespace shorten
