// Rotary position embedding, half-split layout (Hugging Face's rotate_half), forward and its
// inverse rotation for backward. Angles are formed in double so long positions stay exact.
#include <cmath>
#include <vector>

#include "ops.h"
#include "thread_pool.h"

namespace shorten {
namespace {

// sign +1 rotates by +angle (forward), -1 by -angle (backward); accumulate adds into out.
void rotate(float* out, const float* inp, const int32_t* positions, int64_t N, int64_t H, int64_t D, double theta,
            double sign, bool accumulate) {
  const int64_t half = D / 2;
  std::vector<double> invFreq(half);
  for (int64_t i = 0; i < half; i++) invFreq[i] = std::pow(theta, -2.0 * i / D);
  parallelFor(N, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> cosv(half), sinv(half);
    for (int64_t n = begin; n < end; n++) {
      for (int64_t i = 0; i < half; i++) {
        double a = positions[n] * invFreq[i];
        cosv[i] = static_cast<float>(std::cos(a));
        sinv[i] = static_cast<float>(sign * std::sin(a));
      }
      for (int64_t h = 0; h < H; h++) {
        const float* x = inp + (n * H + h) * D;
        float* y = out + (n * H + h) * D;
        for (int64_t i = 0; i < half; i++) {
          float a = x[i], b = x[i + half];
          float ya = a * cosv[i] - b * sinv[i];
          float yb = b * cosv[i] + a * sinv[i];
          if (accumulate) {
            y[i] += ya;
            y[i + half] += yb;
          } else {
            y[i] = ya;
            y[i + half] = yb;
          }
        }
      }
    }
  }, 4 * H * D);
}

}  // namespace

void ropeForward(float* out, const float* inp, const int32_t* positions, int64_t N, int64_t H, int64_t D,
                 double theta) {
  rotate(out, inp, positions, N, H, D, theta, 1.0, false);
}

void ropeBackward(float* dinp, const float* dout, const int32_t* positions, int64_t N, int64_t H, int64_t D,
                  double theta) {
  rotate(dinp, dout, positions, N, H, D, theta, -1.0, true);
}

}  // namespace shorten
