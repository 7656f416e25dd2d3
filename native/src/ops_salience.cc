// The first-order Taylor salience of one weight matrix: Σ |W ⊙ G| in float64, W read as stored
// (f32, bf16 or f16) next to its f32 gradient. A JavaScript loop over the 2048-wide model's 850M
// weights took 2.3 of Taylor's 11 s. Each fixed block of values is summed in order into its own
// float64 and the blocks are added in order, so the result does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"
#include "ops.h"
#include "thread_pool.h"

namespace shorten {

namespace {
constexpr int64_t kBlock = 1 << 14;

template <typename Load>
double blockSum(const float* g, int64_t begin, int64_t end, Load load) {
  // Eight running sums (each value's product is exact in float64: 24 × 24 bits), combined in order.
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = begin;
  for (; i + 8 <= end; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += std::fabs(static_cast<double>(load(i + j)) * g[i + j]);
  double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < end; ++i) s += std::fabs(static_cast<double>(load(i)) * g[i]);
  return s;
}
}  // namespace

double salienceSum(const void* w, int type, const float* g, int64_t n) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
  parallelFor(
      blocks, 1,
      [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const int64_t begin = b * kBlock, end = std::min(n, begin + kBlock);
          double s;
          if (type == 0) {
            const float* v = static_cast<const float*>(w);
            s = blockSum(g, begin, end, [v](int64_t i) { return v[i]; });
          } else if (type == 1) {
            const uint16_t* v = static_cast<const uint16_t*>(w);
            s = blockSum(g, begin, end, [v](int64_t i) { return bf16ToF32(v[i]); });
          } else {
            const uint16_t* v = static_cast<const uint16_t*>(w);
            s = blockSum(g, begin, end, [v](int64_t i) { return f16ToF32(v[i]); });
          }
          partial[static_cast<size_t>(b)] = s;
        }
      },
      kBlock * 6);
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

}  // namespace shorten
