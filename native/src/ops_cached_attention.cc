// Attention of new queries against a KV cache (inference: prefill and decode), with per-row left
// padding. The cache is laid out (B, Hkv, capacity, D) so one head's history is contiguous.
#include <immintrin.h>

#include <cmath>
#include <vector>

#include "cpu_features.h"
#include "ops.h"
#include "thread_pool.h"

namespace shorten {
namespace {

float dotPortable(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}
void axpyPortable(float* y, float a, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

__attribute__((target("avx2,fma"))) float dotAvx2(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  __m256 acc = _mm256_add_ps(acc0, acc1);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_hadd_ps(s, s);
  s = _mm_hadd_ps(s, s);
  float r = _mm_cvtss_f32(s);
  for (; i < n; ++i) r += a[i] * b[i];
  return r;
}
__attribute__((target("avx2,fma"))) void axpyAvx2(float* y, float a, const float* x, int64_t n) {
  __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

}  // namespace

void cachedAttentionForward(float* out, const float* q, const float* keys, const float* values,
                            const int32_t* padding, int64_t B, int64_t S, int64_t Hq, int64_t Hkv, int64_t D,
                            int64_t capacity, int64_t start) {
  const bool simd = activeIsa() != Isa::Portable;
  const int64_t group = Hq / Hkv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  parallelFor(
      B * S * Hq, 1,
      [&](int64_t begin, int64_t end) {
    std::vector<float> scores(static_cast<size_t>(start + S));
    for (int64_t job = begin; job < end; ++job) {
      const int64_t h = job % Hq, s = (job / Hq) % S, b = job / (Hq * S);
      const int64_t pos = start + s;
      const int64_t pad = padding ? padding[b] : 0;
      // A padding query attends only to itself, so its (unused) output stays finite.
      const int64_t first = pos < pad ? pos : pad;
      const float* qv = q + ((b * S + s) * Hq + h) * D;
      const int64_t kvBase = (b * Hkv + h / group) * capacity;
      float max = -INFINITY;
      for (int64_t p = first; p <= pos; ++p) {
        const float* kv = keys + (kvBase + p) * D;
        float sc = (simd ? dotAvx2(qv, kv, D) : dotPortable(qv, kv, D)) * scale;
        scores[p] = sc;
        if (sc > max) max = sc;
      }
      float sum = 0.0f;
      for (int64_t p = first; p <= pos; ++p) {
        scores[p] = std::exp(scores[p] - max);
        sum += scores[p];
      }
      const float inv = 1.0f / sum;
      float* o = out + ((b * S + s) * Hq + h) * D;
      for (int64_t j = 0; j < D; ++j) o[j] = 0.0f;
      for (int64_t p = first; p <= pos; ++p) {
        const float* vv = values + (kvBase + p) * D;
        if (simd) axpyAvx2(o, scores[p] * inv, vv, D);
        else axpyPortable(o, scores[p] * inv, vv, D);
      }
    }
      },
      4 * (start + S) * D);
}

}  // namespace shorten
