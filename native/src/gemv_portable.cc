// Portable GEMV for f32/bf16/f16 weights, rows split across threads.
#include "kernels.h"
#include "thread_pool.h"

namespace shorten {

void gemvPortable(const GemvArgs& p) {
  parallelFor(p.n, 16, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      float acc = 0.0f;
      if (p.wType == WeightType::F32) {
        const float* w = static_cast<const float*>(p.w) + j * p.ldw;
        for (int64_t l = 0; l < p.k; ++l) acc += w[l] * p.x[l];
      } else {
        const uint16_t* w = static_cast<const uint16_t*>(p.w) + j * p.ldw;
        if (p.wType == WeightType::BF16) {
          for (int64_t l = 0; l < p.k; ++l) acc += bf16ToF32(w[l]) * p.x[l];
        } else {
          for (int64_t l = 0; l < p.k; ++l) acc += f16ToF32(w[l]) * p.x[l];
        }
      }
      p.y[j] = p.beta == 0.0f ? p.alpha * acc : p.alpha * acc + p.beta * p.y[j];
    }
  }, 2 * p.k);
}

}  // namespace shorten
