// The residual sum and its gradient, elementwise in parallel: out = a + b; da += dout, db += dout.
// Large residual streams pass through every block twice, so a JavaScript loop here showed up in
// training profiles.
#include "ops.h"
#include "thread_pool.h"

namespace shorten {

void addForward(float* out, const float* a, const float* b, int64_t N) {
  parallelFor(N, 8192, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) out[i] = a[i] + b[i];
  });
}

void addBackward(float* da, float* db, const float* dout, int64_t N) {
  parallelFor(N, 8192, [&](int64_t begin, int64_t end) {
    if (da)
      for (int64_t i = begin; i < end; i++) da[i] += dout[i];
    if (db)
      for (int64_t i = begin; i < end; i++) db[i] += dout[i];
  });
}

}  // namespace shorten
