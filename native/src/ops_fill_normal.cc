// Seeded normal random fill for synthetic weights: element pair i takes a splitmix64 hash of
// (seed, stream, i) through Box-Muller, so the values depend on neither the thread count nor the
// order of filling, and a benchmark's random 2048-wide model is built in seconds instead of the
// 40 s a JavaScript loop took. src/bench/synthetic-model.ts's test reproduces the hash in float64.
#include <cmath>

#include "kernels.h"
#include "ops.h"
#include "thread_pool.h"

namespace shorten {
namespace {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

template <typename Store>
void fillPairs(int64_t N, uint32_t seed, uint32_t stream, float mean, float stddev, Store store) {
  const uint64_t key = splitmix64((static_cast<uint64_t>(seed) << 32) | stream);
  const int64_t pairs = (N + 1) / 2;
  parallelFor(pairs, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const uint64_t z = splitmix64(key + static_cast<uint64_t>(i));
      // u1 in (0, 1] so the log is finite; u2 in [0, 1); 24 bits each, exact in float.
      const float u1 = static_cast<float>((z >> 40) + 1) * 0x1p-24f;
      const float u2 = static_cast<float>((z >> 16) & 0xffffffu) * 0x1p-24f;
      const float r = std::sqrt(-2.0f * std::log(u1));
      const float theta = 6.2831853071795864f * u2;
      store(2 * i, mean + stddev * (r * std::cos(theta)));
      if (2 * i + 1 < N) store(2 * i + 1, mean + stddev * (r * std::sin(theta)));
    }
  }, 64);
}

}  // namespace

void fillNormal(void* out, WeightType type, int64_t N, uint32_t seed, uint32_t stream, float mean, float stddev) {
  // bf16/f16 are written directly (rounded to nearest even): no f32 copy of a large model is made.
  if (type == WeightType::BF16) {
    uint16_t* o = static_cast<uint16_t*>(out);
    return fillPairs(N, seed, stream, mean, stddev, [o](int64_t i, float v) { o[i] = f32ToBf16(v); });
  }
  if (type == WeightType::F16) {
    uint16_t* o = static_cast<uint16_t*>(out);
    return fillPairs(N, seed, stream, mean, stddev, [o](int64_t i, float v) { o[i] = f32ToF16(v); });
  }
  float* o = static_cast<float*>(out);
  fillPairs(N, seed, stream, mean, stddev, [o](int64_t i, float v) { o[i] = v; });
}

}  // namespace shorten
