// The optimizer's passes over every parameter, native: the AdamW update, the squared gradient
// norm and gradient clipping. Arithmetic is in double in the same order as the TypeScript
// transcription of torch.optim.AdamW, each stored value rounded to f32, so results do not change
// with the move. The norm sums fixed chunks in order, so it is the same for any thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ops.h"
#include "thread_pool.h"

namespace shorten {

void adamwUpdate(float* w, const float* g, float* m, float* v, int64_t N, double decay, double beta1, double beta2,
                 double stepSize, double sqrtBc2, double eps) {
  parallelFor(N, 16384, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if (decay != 0) w[i] = static_cast<float>(w[i] - decay * w[i]);
      const double gi = g[i];
      m[i] = static_cast<float>(beta1 * m[i] + (1 - beta1) * gi);
      v[i] = static_cast<float>(beta2 * v[i] + (1 - beta2) * gi * gi);
      w[i] = static_cast<float>(w[i] - (stepSize * m[i]) / (std::sqrt(static_cast<double>(v[i])) / sqrtBc2 + eps));
    }
  });
}

double sumSquares(const float* g, int64_t N) {
  constexpr int64_t kChunk = 1 << 16;
  const int64_t chunks = (N + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<size_t>(std::max<int64_t>(chunks, 1)), 0.0);
  parallelFor(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double s = 0;
      for (int64_t i = c * kChunk; i < std::min(N, (c + 1) * kChunk); ++i) s += static_cast<double>(g[i]) * g[i];
      partial[static_cast<size_t>(c)] = s;
    }
  }, kChunk);
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

void scaleInPlace(float* g, int64_t N, double factor) {
  parallelFor(N, 16384, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) g[i] = static_cast<float>(g[i] * factor);
  });
}

}  // namespace shorten
