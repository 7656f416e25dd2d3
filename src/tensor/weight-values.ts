// Reading a Weight as plain floats of the computation's type. Half-precision weights are widened
// once and cached per weight (small ones: norms; and every weight in f64 checking mode); big
// matrices in f32 mode go to gemmHalf in their stored form instead of through here.
import { bf16ToF32, f16ToF32 } from '../native/index.js';
import type { WeightTensor } from '../model/weights.js';
import type { FloatArray, FloatKind, Weight } from './tensor.js';
import { Tensor } from './tensor.js';

const widenedF32 = new WeakMap<WeightTensor, Float32Array>();
const widenedF64 = new WeakMap<WeightTensor | Float32Array, Float64Array>();

/** The weight's values as `kind` floats; a view (no copy) when already of that type. */
export function weightValues(w: Weight, kind: FloatKind): FloatArray {
  if (w instanceof Tensor) {
    if (w.kind === kind) return w.data;
    return kind === 'f64' ? Float64Array.from(w.data) : Float32Array.from(w.data);
  }
  const f32 = weightAsF32(w);
  if (kind === 'f32') return f32;
  let d = widenedF64.get(w);
  if (!d) {
    d = Float64Array.from(f32);
    widenedF64.set(w, d);
  }
  return d;
}

function weightAsF32(w: WeightTensor): Float32Array {
  if (w.dtype === 'f32') return w.data as Float32Array;
  let d = widenedF32.get(w);
  if (!d) {
    const bits = w.data as Uint16Array;
    d = w.dtype === 'bf16' ? bf16ToF32(bits) : f16ToF32(bits);
    widenedF32.set(w, d);
  }
  return d;
}

/** Writes row `row` (of `cols` values) of a weight into `dst` at `offset`, converting on the fly. */
export function copyWeightRow(w: Weight, row: number, cols: number, dst: FloatArray, offset: number): void {
  const start = row * cols;
  if (w instanceof Tensor || w.dtype === 'f32') {
    const src = w.data as FloatArray;
    for (let j = 0; j < cols; j++) dst[offset + j] = src[start + j];
    return;
  }
  const bits = (w.data as Uint16Array).subarray(start, start + cols);
  const f = w.dtype === 'bf16' ? bf16ToF32(bits) : f16ToF32(bits);
  for (let j = 0; j < cols; j++) dst[offset + j] = f[j];
}
