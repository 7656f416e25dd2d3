// Forward KL(teacher ‖ student) over vocabulary rows, softened by a temperature, for distillation:
// over the whole vocabulary, or over the teacher's top-K tokens plus one bucket for the rest. Each
// row is computed by one thread in a fixed order (sums in double), so results do not depend on the
// thread count. The forward keeps only logsumexps; the backward recomputes the softmax.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops.h"
#include "thread_pool.h"

namespace shorten {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// log Σ exp(z[v]·invT) over v < V, in double.
double rowLse(const float* z, int64_t V, double invT) {
  double mx = kNegInf;
  for (int64_t v = 0; v < V; v++) mx = std::max(mx, z[v] * invT);
  if (mx == kNegInf) return kNegInf;
  double sum = 0;
  for (int64_t v = 0; v < V; v++) sum += std::exp(z[v] * invT - mx);
  return mx + std::log(sum);
}

// The ordering key of a logit for the top-K choice: NaN sorts last (std::partial_sort needs a strict
// weak order; the loss is NaN either way).
inline float rankKey(float x) { return std::isnan(x) ? -std::numeric_limits<float>::infinity() : x; }

}  // namespace

void klDivForward(float* losses, float* lseS, float* lseT, const float* student, const float* teacher,
                  const int32_t* targets, int64_t N, int64_t V, float invT) {
  const double t = invT;
  parallelFor(N, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; n++) {
      const float* s = student + n * V;
      const float* z = teacher + n * V;
      double ls = rowLse(s, V, t), lt = rowLse(z, V, t);
      lseS[n] = static_cast<float>(ls);
      lseT[n] = static_cast<float>(lt);
      if (targets[n] < 0) {
        losses[n] = 0.0f;
        continue;
      }
      double kl = 0;
      for (int64_t v = 0; v < V; v++) {
        double lp = z[v] * t - lt;
        double p = std::exp(lp);
        if (p > 0) kl += p * (lp - (s[v] * t - ls));
      }
      losses[n] = static_cast<float>(kl);
    }
  }, 16 * V);
}

void klDivBackward(float* dstudent, const float* dlosses, const float* student, const float* lseS, const float* teacher,
                   const float* lseT, const int32_t* targets, int64_t N, int64_t V, float invT) {
  parallelFor(N, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; n++) {
      if (targets[n] < 0 || dlosses[n] == 0.0f) continue;
      const float* s = student + n * V;
      const float* z = teacher + n * V;
      float* ds = dstudent + n * V;
      const float g = dlosses[n] * invT, ls = lseS[n], lt = lseT[n];
      for (int64_t v = 0; v < V; v++) ds[v] += g * (std::exp(s[v] * invT - ls) - std::exp(z[v] * invT - lt));
    }
  }, 8 * V);
}

void topKLogProbs(int32_t* idx, float* logp, float* logRest, const float* logits, int64_t N, int64_t V, int64_t K,
                  float invT) {
  const double t = invT;
  parallelFor(N, 1, [&](int64_t begin, int64_t end) {
    std::vector<int32_t> order(static_cast<size_t>(V));
    for (int64_t n = begin; n < end; n++) {
      const float* z = logits + n * V;
      for (int64_t v = 0; v < V; v++) order[v] = static_cast<int32_t>(v);
      // Largest first; equal logits keep the lower token id first, so the choice is deterministic.
      std::partial_sort(order.begin(), order.begin() + K, order.end(), [z](int32_t a, int32_t b) {
        float ka = rankKey(z[a]), kb = rankKey(z[b]);
        return ka > kb || (ka == kb && a < b);
      });
      double lse = rowLse(z, V, t);
      for (int64_t k = 0; k < K; k++) {
        idx[n * K + k] = order[k];
        logp[n * K + k] = static_cast<float>(z[order[k]] * t - lse);
      }
      // The rest summed directly: 1 - Σ top-K would cancel when the top-K hold nearly all the mass.
      double rest = 0;
      for (int64_t j = K; j < V; j++) rest += std::exp(z[order[j]] * t - lse);
      logRest[n] = static_cast<float>(std::log(rest));
    }
  }, 16 * V);
}

void klTopKForward(float* losses, float* lseS, float* lseRestS, const float* student, const int32_t* idx,
                   const float* logp, const float* logRest, const int32_t* targets, int64_t N, int64_t V, int64_t K,
                   float invT) {
  const double t = invT;
  parallelFor(N, 1, [&](int64_t begin, int64_t end) {
    std::vector<uint8_t> inTop(static_cast<size_t>(V));
    for (int64_t n = begin; n < end; n++) {
      const float* s = student + n * V;
      const int32_t* ix = idx + n * K;
      double ls = rowLse(s, V, t);
      lseS[n] = static_cast<float>(ls);
      // The student's rest: logsumexp over the tokens outside the teacher's top-K (unnormalised).
      std::fill(inTop.begin(), inTop.end(), 0);
      for (int64_t k = 0; k < K; k++) inTop[ix[k]] = 1;
      double mx = kNegInf;
      for (int64_t v = 0; v < V; v++)
        if (!inTop[v]) mx = std::max(mx, s[v] * t);
      double lr = kNegInf;
      if (mx != kNegInf) {
        double sum = 0;
        for (int64_t v = 0; v < V; v++)
          if (!inTop[v]) sum += std::exp(s[v] * t - mx);
        lr = mx + std::log(sum);
      }
      lseRestS[n] = static_cast<float>(lr);
      if (targets[n] < 0) {
        losses[n] = 0.0f;
        continue;
      }
      double kl = 0;
      for (int64_t k = 0; k < K; k++) {
        double lp = logp[n * K + k];
        double p = std::exp(lp);
        if (p > 0) kl += p * (lp - (s[ix[k]] * t - ls));
      }
      double lpr = logRest[n];
      double pr = std::exp(lpr);
      if (pr > 0) kl += pr * (lpr - (lr - ls));
      losses[n] = static_cast<float>(kl);
    }
  }, 16 * V);
}

void klTopKBackward(float* dstudent, const float* dlosses, const float* student, const float* lseS,
                    const float* lseRestS, const int32_t* idx, const float* logp, const float* logRest,
                    const int32_t* targets, int64_t N, int64_t V, int64_t K, float invT) {
  parallelFor(N, 1, [&](int64_t begin, int64_t end) {
    // The teacher's probability of each top-K token of the row, -1 elsewhere.
    std::vector<float> pTop(static_cast<size_t>(V), -1.0f);
    for (int64_t n = begin; n < end; n++) {
      if (targets[n] < 0 || dlosses[n] == 0.0f) continue;
      const float* s = student + n * V;
      float* ds = dstudent + n * V;
      const int32_t* ix = idx + n * K;
      const float g = dlosses[n] * invT, ls = lseS[n], lr = lseRestS[n];
      const float pr = std::exp(logRest[n]);
      for (int64_t k = 0; k < K; k++) pTop[ix[k]] = std::exp(logp[n * K + k]);
      // Inside the top-K: q_v - p_v. Outside: q_v - p_rest · q_v / q_rest, where
      // q_v / q_rest = exp(s_v/T - lseRestS) is the student's softmax over the rest alone.
      for (int64_t v = 0; v < V; v++) {
        const float q = std::exp(s[v] * invT - ls);
        if (pTop[v] >= 0.0f)
          ds[v] += g * (q - pTop[v]);
        else
          ds[v] += g * (pr > 0.0f ? q - pr * std::exp(s[v] * invT - lr) : q);
      }
      for (int64_t k = 0; k < K; k++) pTop[ix[k]] = -1.0f;
    }
  }, 8 * V);
}

}  // namespace shorten
