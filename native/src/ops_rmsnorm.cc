// RMSNorm forward/backward, rows in parallel; the weight gradient is reduced per column block so
// threads never write the same element.
#include <cmath>

#include "ops.h"
#include "thread_pool.h"

namespace shorten {

void rmsnormForward(float* out, float* rstd, const float* inp, const float* weight, int64_t N, int64_t C,
                    float eps) {
  parallelFor(N, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; n++) {
      const float* x = inp + n * C;
      float* y = out + n * C;
      double ss = 0;
      for (int64_t c = 0; c < C; c++) ss += static_cast<double>(x[c]) * x[c];
      float r = static_cast<float>(1.0 / std::sqrt(ss / C + eps));
      rstd[n] = r;
      for (int64_t c = 0; c < C; c++) y[c] = x[c] * r * weight[c];
    }
  }, 4 * C);
}

void rmsnormBackward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                     const float* rstd, int64_t N, int64_t C) {
  if (dinp) {
    parallelFor(N, 1, [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; n++) {
        const float* x = inp + n * C;
        const float* dy = dout + n * C;
        float* dx = dinp + n * C;
        float r = rstd[n];
        double dot = 0;  // sum_c dy·w·x
        for (int64_t c = 0; c < C; c++) dot += static_cast<double>(dy[c]) * weight[c] * x[c];
        float k = static_cast<float>(dot * r * r * r / C);
        for (int64_t c = 0; c < C; c++) dx[c] += r * dy[c] * weight[c] - k * x[c];
      }
    }, 6 * C);
  }
  if (dweight) {
    parallelFor(C, 16, [&](int64_t begin, int64_t end) {
      for (int64_t n = 0; n < N; n++) {
        const float* x = inp + n * C;
        const float* dy = dout + n * C;
        float r = rstd[n];
        for (int64_t c = begin; c < end; c++) dweight[c] += dy[c] * x[c] * r;
      }
    }, 2 * N);
  }
}

}  // namespace shorten
