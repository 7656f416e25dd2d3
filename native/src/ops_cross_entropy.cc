// Softmax cross-entropy over vocabulary rows: the forward keeps only each row's logsumexp, so the
// backward recomputes softmax from the logits instead of storing an (N,V) probability matrix.
#include <cmath>
#include <limits>

#include "ops.h"
#include "thread_pool.h"

namespace shorten {

void crossEntropyForward(float* losses, float* lse, const float* logits, const int32_t* targets, int64_t N,
                         int64_t V) {
  parallelFor(N, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; n++) {
      const float* z = logits + n * V;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t v = 0; v < V; v++) mx = z[v] > mx ? z[v] : mx;
      double sum = 0;
      for (int64_t v = 0; v < V; v++) sum += std::exp(static_cast<double>(z[v] - mx));
      double l = mx + std::log(sum);
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
      float g = dlosses[n], l = lse[n];
      for (int64_t v = 0; v < V; v++) dz[v] += g * std::exp(z[v] - l);
      dz[targets[n]] -= g;
    }
  }, 8 * V);
}

}  // namespace shorten
