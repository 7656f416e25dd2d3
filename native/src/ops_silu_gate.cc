// The SwiGLU middle, silu(gate) · up, and its gradient, elementwise in parallel.
#include <cmath>

#include "ops.h"
#include "thread_pool.h"

namespace shorten {

void siluGateForward(float* out, const float* gate, const float* up, int64_t N) {
  parallelFor(N, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) {
      float g = gate[i];
      out[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
  });
}

void siluGateBackward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t N) {
  parallelFor(N, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) {
      float g = gate[i];
      float s = 1.0f / (1.0f + std::exp(-g));
      if (dgate) dgate[i] += dout[i] * up[i] * s * (1.0f + g * (1.0f - s));
      if (dup) dup[i] += dout[i] * g * s;
    }
  });
}

}  // namespace shorten
