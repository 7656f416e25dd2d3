// exp over float arrays, vectorized: softmax rows (attention) and the SiLU's sigmoid spend most of
// their time in exp, and libm's scalar expf is several times slower than an 8-wide polynomial.
#pragma once
#include <cstdint>

namespace shorten {

// x[i] = exp(x[i] - shift) for i < n; returns the sum of the results (accumulated in double).
// -inf (a masked score) gives exactly 0. Relative error within 2 ulp of expf.
double expShiftSum(float* x, int64_t n, float shift);

// Σ exp(x[i] - shift) for i < n, x unchanged (accumulated in double; each exp within 2 ulp of expf).
double expShiftSumRead(const float* x, int64_t n, float shift);

// out[i] += scale · exp(x[i] - shift) for i < n.
void addScaledExpShift(float* out, const float* x, int64_t n, float shift, float scale);

// out[i] = x[i] · sigmoid(x[i]) = x[i] / (1 + exp(-x[i])) for i < n (SiLU), and, when sig is
// non-null, sig[i] = sigmoid(x[i]).
void siluSigmoid(float* out, float* sig, const float* x, int64_t n);

}  // namespace shorten
