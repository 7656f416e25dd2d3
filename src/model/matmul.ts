// y = x·Wᵀ for a stored weight in any dtype, choosing the native kernel that fits:
// GEMV for a single row (decode), GEMM otherwise, bf16/f16 weights read as stored, GGML-quantized
// weights expanded into scratch first.
import { gemmF32, gemmHalf, gemv } from '../native/index.js';
import { expandedF32 } from '../tensor/weight-values.js';
import type { FloatDType, WeightTensor } from './weights.js';
import { isQuantized } from './weights.js';

/** out[rows, out] = x[rows, in] · Wᵀ (W is [out, in]); beta = 1 accumulates into out. */
export function matmulWeight(
  x: Float32Array,
  rows: number,
  w: WeightTensor,
  out: Float32Array,
  beta = 0,
): void {
  const [n, k] = w.shape;
  if (isQuantized(w)) {
    const f32 = expandedF32(w);
    if (rows === 1) gemv({ n, k, w: f32, wType: 'f32', x, beta, y: out });
    else gemmF32({ transB: true, m: rows, n, k, a: x, b: f32, beta, c: out });
  } else if (rows === 1) {
    gemv({ n, k, w: w.data as Float32Array | Uint16Array, wType: w.dtype as FloatDType, x, beta, y: out });
  } else if (w.dtype === 'f32') {
    gemmF32({ transB: true, m: rows, n, k, a: x, b: w.data as Float32Array, beta, c: out });
  } else {
    gemmHalf({
      transB: true,
      m: rows,
      n,
      k,
      a: x,
      b: w.data as Uint16Array,
      bType: w.dtype as 'bf16' | 'f16',
      beta,
      c: out,
    });
  }
}
