// The fused model-op kernels (f32): each forward is declared directly above its backward with the
// same argument order, llm.c style: outputs first, dimensions last, a `d` prefix for gradients.
// Backward kernels accumulate (+=) into their gradient outputs, so a tensor used twice sums both.
// Arguments are trusted: ops_addon.cc checks every length before calling in.
#pragma once
#include <cstdint>

#include "kernels.h"

namespace shorten {

// out (N,C) = inp · rstd · weight, rstd (N) = 1/sqrt(mean(inp²) + eps), saved for backward.
void rmsnormForward(float* out, float* rstd, const float* inp, const float* weight, int64_t N, int64_t C, float eps);
// dweight may be null (a frozen norm weight).
void rmsnormBackward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                     const float* rstd, int64_t N, int64_t C);

// Rotary embedding in the half-split layout: within each head (D wide) element i pairs with
// i + D/2 and both rotate by positions[n] · invFreq[i] (invFreq: D/2 inverse frequencies), the
// result times `scale`. inp/out (N,H,D); out may alias inp.
void ropeForward(float* out, const float* inp, const int32_t* positions, int64_t N, int64_t H, int64_t D,
                 const double* invFreq, double scale);
// The transpose: the inverse rotation of dout times `scale`, added to dinp.
void ropeBackward(float* dinp, const float* dout, const int32_t* positions, int64_t N, int64_t H, int64_t D,
                  const double* invFreq, double scale);

// Causal grouped-query attention. q/out (B,T,Hq,D), k/v (B,T,Hkv,D), lse (B,Hq,T) saved for
// backward (-inf for a query that sees no key: its output is zero). keyPadding (B,T) may be null;
// nonzero marks a padding position that is never attended. Scale 1/sqrt(D).
void attentionForward(float* out, float* lse, const float* q, const float* k, const float* v,
                      const uint8_t* keyPadding, int64_t B, int64_t T, int64_t Hq, int64_t Hkv, int64_t D);
// Any of dq/dk/dv may be null when that input needs no gradient.
void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* q, const float* k,
                       const float* v, const float* out, const float* lse, const uint8_t* keyPadding, int64_t B,
                       int64_t T, int64_t Hq, int64_t Hkv, int64_t D);

// out (N) = silu(gate) · up, the SwiGLU MLP's elementwise middle.
void siluGateForward(float* out, const float* gate, const float* up, int64_t N);
void siluGateBackward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t N);

// Per-row softmax cross-entropy of logits (N,V): losses (N) = lse - logit[target] (0 where the
// target is negative, i.e. ignored), lse (N) saved for backward.
void crossEntropyForward(float* losses, float* lse, const float* logits, const int32_t* targets, int64_t N,
                         int64_t V);
// dlogits (N,V) += dlosses[n] · (softmax(logits[n]) - onehot(target[n])) for non-ignored rows.
void crossEntropyBackward(float* dlogits, const float* dlosses, const float* logits, const float* lse,
                          const int32_t* targets, int64_t N, int64_t V);

// Forward KL(p ‖ q) per row of logits (N,V) for distillation, p = softmax(teacher/T) and
// q = softmax(student/T) (invT = 1/T): losses (N) = Σ_v p_v (log p_v - log q_v), 0 where the target
// is negative (ignored). lseS, lseT (N): log Σ exp(·/T) of each row, saved for backward.
void klDivForward(float* losses, float* lseS, float* lseT, const float* student, const float* teacher,
                  const int32_t* targets, int64_t N, int64_t V, float invT);
// dstudent (N,V) += dlosses[n] · (q - p) / T for non-ignored rows.
void klDivBackward(float* dstudent, const float* dlosses, const float* student, const float* lseS, const float* teacher,
                   const float* lseT, const int32_t* targets, int64_t N, int64_t V, float invT);

// The teacher's top-K tokens per row of logits (N,V) at temperature T: idx (N,K) the K largest
// logits, largest first (equal logits: the lower id first), logp (N,K) their log-probabilities
// log softmax(logits/T), logRest (N) the log of the probability of all other tokens (-inf when K = V).
void topKLogProbs(int32_t* idx, float* logp, float* logRest, const float* logits, int64_t N, int64_t V, int64_t K,
                  float invT);
// Forward KL over K + 1 outcomes: the teacher's top-K tokens and one bucket for the rest. With the
// student's q = softmax(student/T) and q_rest = Σ_{v outside idx} q_v, losses (N) =
// Σ_k p_k (log p_k - log q_{idx_k}) + p_rest (log p_rest - log q_rest), 0 for ignored rows.
// lseS (N) and lseRestS (N), the student's log Σ exp(·/T) over all tokens and over the rest, are saved.
void klTopKForward(float* losses, float* lseS, float* lseRestS, const float* student, const int32_t* idx,
                   const float* logp, const float* logRest, const int32_t* targets, int64_t N, int64_t V, int64_t K,
                   float invT);
// dstudent (N,V) += dlosses[n] / T · (q_v - p_v) for v in the top-K, q_v (1 - p_rest / q_rest) outside it.
void klTopKBackward(float* dstudent, const float* dlosses, const float* student, const float* lseS,
                    const float* lseRestS, const int32_t* idx, const float* logp, const float* logRest,
                    const int32_t* targets, int64_t N, int64_t V, int64_t K, float invT);

// Inference attention of S new queries per row against a KV cache (no backward). q/out (B,S,Hq,D);
// keys/values (B,Hkv,capacity,D) already hold positions [0, start + S). padding (B) may be null:
// row b's first padding[b] positions are never attended. Scale 1/sqrt(D).
void cachedAttentionForward(float* out, const float* q, const float* keys, const float* values,
                            const int32_t* padding, int64_t B, int64_t S, int64_t Hq, int64_t Hkv, int64_t D,
                            int64_t capacity, int64_t start);

// AdamW (decoupled decay, torch.optim.AdamW's order) on one parameter, in double per element:
// w -= decay·w; m, v updated; w -= stepSize·m / (√v / sqrtBc2 + eps).
void adamwUpdate(float* w, const float* g, float* m, float* v, int64_t N, double decay, double beta1, double beta2,
                 double stepSize, double sqrtBc2, double eps);
// Σ g² in double, in a fixed order (the same for any thread count).
double sumSquares(const float* g, int64_t N);
// g *= factor (clipping).
void scaleInPlace(float* g, int64_t N, double factor);

// The residual sum out = a + b, and its backward da += dout, db += dout (either may be null).
void addForward(float* out, const float* a, const float* b, int64_t N);
void addBackward(float* da, float* db, const float* dout, int64_t N);
// Σ |W ⊙ G| in float64 over n values; W f32 (type 0), bf16 (1) or f16 (2). Thread-count independent.
double salienceSum(const void* w, int type, const float* g, int64_t n);

// Inverted dropout: out = keep(seed, i) ? x / (1 - p) : 0, or out += that with accumulate (the
// backward: the same seed gives the same mask). keep(seed, i) is a counter hash, 0 ≤ p < 1.
void dropoutApply(float* out, const float* x, int64_t N, double p, uint32_t seed, bool accumulate);

// out (N) = mean + stddev · a standard normal sample per element, from a splitmix64 hash of (seed,
// stream, i // 2) through Box-Muller: the same values whatever the thread count. out holds f32, or
// bf16/f16 bits (rounded to nearest even) for those types.
void fillNormal(void* out, WeightType type, int64_t N, uint32_t seed, uint32_t stream, float mean, float stddev);

}  // namespace shorten
