// Attention of new queries against a KV cache (inference: prefill and decode), with per-row left
// padding. The cache is laid out (B, Hkv, capacity, D) so one head's history is contiguous: a block
// of queries takes its scores and its output as two small GEMMs against it, and the softmax runs
// on whole rows with the vectorized exp. A decode step's one query takes a GEMV and axpys instead.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels.h"
#include "ops.h"
#include "thread_pool.h"
#include "vec_exp.h"

namespace shorten {
namespace {

constexpr int64_t kQueryBlock = 64;
// Blocks of at most this many queries (decode) skip the GEMMs: packing the keys for one query
// cost more than the product itself, so each query takes a GEMV over its visible keys and an
// axpy per key over the values.
constexpr int64_t kDirectRows = 4;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

}  // namespace

void cachedAttentionForward(float* out, const float* q, const float* keys, const float* values,
                            const int32_t* padding, int64_t B, int64_t S, int64_t Hq, int64_t Hkv, int64_t D,
                            int64_t capacity, int64_t start) {
  const int64_t group = Hq / Hkv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const int64_t blocks = (S + kQueryBlock - 1) / kQueryBlock;
  parallelFor(
      B * Hq * blocks, 1,
      [&](int64_t begin, int64_t end) {
        std::vector<float> s;
        for (int64_t task = begin; task < end; ++task) {
          const int64_t b = task / (Hq * blocks), h = (task / blocks) % Hq;
          const int64_t s0 = (task % blocks) * kQueryBlock, rows = std::min(kQueryBlock, S - s0);
          const int64_t nk = start + s0 + rows;  // keys 0..nk-1 are visible to some query of the block
          const int64_t pad = padding ? padding[b] : 0;
          const float* kb = keys + (b * Hkv + h / group) * capacity * D;
          const float* vb = values + (b * Hkv + h / group) * capacity * D;
          const float* qb = q + ((b * S + s0) * Hq + h) * D;
          float* ob = out + ((b * S + s0) * Hq + h) * D;
          s.resize(static_cast<size_t>(rows * nk));
          if (rows <= kDirectRows) {
            for (int64_t i = 0; i < rows; ++i) {
              const int64_t pos = start + s0 + i;
              const int64_t first = pos < pad ? pos : pad;
              const int64_t n = pos + 1 - first;
              float* row = s.data();
              gemv(GemvArgs{n, D, scale, kb + first * D, D, WeightType::F32, qb + i * Hq * D, 0.0f, row});
              float mx = kNegInf;
              for (int64_t j = 0; j < n; ++j) mx = row[j] > mx ? row[j] : mx;
              const float inv = static_cast<float>(1.0 / expShiftSum(row, n, mx));
              float* o = ob + i * Hq * D;
              std::fill(o, o + D, 0.0f);
              for (int64_t j = 0; j < n; ++j) {
                const float w = row[j] * inv;
                const float* v = vb + (first + j) * D;
                for (int64_t d = 0; d < D; ++d) o[d] += w * v[d];
              }
            }
            continue;
          }
          GemmF32Args scores{false, true, rows, nk, D, scale, qb, Hq * D, kb, D, 0.0f, s.data(), nk};
          gemmF32(scores);
          for (int64_t i = 0; i < rows; ++i) {
            const int64_t pos = start + s0 + i;
            float* row = s.data() + i * nk;
            // Keys before the row's padding and after its own position are hidden; a padding
            // query attends only to itself, so its (unused) output stays finite.
            const int64_t first = pos < pad ? pos : pad;
            std::fill(row, row + first, kNegInf);
            std::fill(row + pos + 1, row + nk, kNegInf);
            float mx = kNegInf;
            for (int64_t j = first; j <= pos; ++j) mx = row[j] > mx ? row[j] : mx;
            const double sum = expShiftSum(row + first, pos + 1 - first, mx);
            std::fill(row, row + first, 0.0f);
            std::fill(row + pos + 1, row + nk, 0.0f);
            const float inv = static_cast<float>(1.0 / sum);
            for (int64_t j = first; j <= pos; ++j) row[j] *= inv;
          }
          GemmF32Args mix{false, false, rows, D, nk, 1.0f, s.data(), nk, vb, D, 0.0f, ob, Hq * D};
          gemmF32(mix);
        }
      },
      4 * (start + S) * D * std::min<int64_t>(S, kQueryBlock));
}

}  // namespace shorten
