// Rotary position embedding, half-split layout (Hugging Face's rotate_half), forward and its
// inverse rotation for backward. The inverse frequencies come from the caller (they carry any rotary
// scaling: linear, dynamic NTK, Llama 3, YaRN); angles are formed in double so long positions stay
// exact, and cos/sin are multiplied by `scale` (YaRN's attention factor, else 1).
#include <cmath>
#include <vector>

#include "ops.h"
#include "thread_pool.h"

namespace shorten {
namespace {

// sign +1 rotates by +angle (forward), -1 by -angle (backward); accumulate adds into out.
void rotate(float* out, const float* inp, const int32_t* positions, int64_t N, int64_t H, int64_t D,
            const double* invFreq, double scale, double sign, bool accumulate) {
  const int64_t half = D / 2;
  parallelFor(N, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> cosv(half), sinv(half);
    for (int64_t n = begin; n < end; n++) {
      for (int64_t i = 0; i < half; i++) {
        double a = positions[n] * invFreq[i];
        cosv[i] = static_cast<float>(scale * std::cos(a));
        sinv[i] = static_cast<float>(sign * scale * std::sin(a));
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
                 const double* invFreq, double scale) {
  rotate(out, inp, positions, N, H, D, invFreq, scale, 1.0, false);
}

void ropeBackward(float* dinp, const float* dout, const int32_t* positions, int64_t N, int64_t H, int64_t D,
                  const double* invFreq, double scale) {
  rotate(dinp, dout, positions, N, H, D, invFreq, scale, -1.0, true);
}

}  // namespace shorten
