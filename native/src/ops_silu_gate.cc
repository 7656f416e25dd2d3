// The SwiGLU middle, silu(gate) · up, and its gradient, elementwise in parallel, the sigmoid
// through the vectorized exp in chunks that stay in L1.
#include <algorithm>

#include "ops.h"
#include "thread_pool.h"
#include "vec_exp.h"

namespace shorten {
namespace {

constexpr int64_t kChunk = 512;

}  // namespace

void siluGateForward(float* out, const float* gate, const float* up, int64_t N) {
  parallelFor(N, 4096, [&](int64_t begin, int64_t end) {
    float silu[kChunk];
    for (int64_t c = begin; c < end; c += kChunk) {
      const int64_t n = std::min(kChunk, end - c);
      siluSigmoid(silu, nullptr, gate + c, n);
      for (int64_t i = 0; i < n; i++) out[c + i] = silu[i] * up[c + i];
    }
  });
}

void siluGateBackward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t N) {
  parallelFor(N, 4096, [&](int64_t begin, int64_t end) {
    float silu[kChunk], sig[kChunk];
    for (int64_t c = begin; c < end; c += kChunk) {
      const int64_t n = std::min(kChunk, end - c);
      siluSigmoid(silu, sig, gate + c, n);
      if (dgate)
        for (int64_t i = 0; i < n; i++) {
          const float g = gate[c + i], s = sig[i];
          dgate[c + i] += dout[c + i] * up[c + i] * s * (1.0f + g * (1.0f - s));
        }
      if (dup)
        for (int64_t i = 0; i < n; i++) dup[c + i] += dout[c + i] * silu[i];
    }
  });
}

}  // namespace shorten
