// y = x·Wᵀ for a stored weight in any dtype, choosing the native kernel that fits:
// GEMV for a single row (decode), GEMM otherwise, bf16/f16 weights read as stored.
import { gemmF32, gemmHalf, gemv } from '../native/index.js';
import type { WeightTensor } from './weights.js';

/** out[rows, out] = x[rows, in] · Wᵀ (W is [out, in]); beta = 1 accumulates into out. */
export function matmulWeight(
  x: Float32Array,
  rows: number,
  w: WeightTensor,
  out: Float32Array,
  beta = 0,
): void {
  const [n, k] = w.shape;
  if (rows === 1) {
    gemv({ n, k, w: w.data, wType: w.dtype, x, beta, y: out });
  } else if (w.dtype === 'f32') {
    gemmF32({ transB: true, m: rows, n, k, a: x, b: w.data as Float32Array, beta, c: out });
  } else {
    gemmHalf({ transB: true, m: rows, n, k, a: x, b: w.data as Uint16Array, bType: w.dtype, beta, c: out });
  }
}
