// Reading a Weight as plain floats of the computation's type. Half-precision weights are widened
// once and cached per weight (small ones: norms; and every weight in f64 checking mode); big
// matrices in f32 mode go to gemmHalf in their stored form instead of through here. GGML-quantized
// weights are never cached: they are expanded when used, either into a fresh array (weightValues,
// for callers that keep the values) or into one shared scratch buffer (expandedF32, for a product
// that uses them at once), so memory holds the quantized bytes plus one matrix at most.
import { bf16ToF32, f16ToF32 } from '../native/index.js';
import { dequantize, dequantizeRows } from '../native/quant.js';
import type { WeightTensor } from '../model/weights.js';
import { elementCount, isQuantized } from '../model/weights.js';
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
  if (isQuantized(w)) {
    const f32 = new Float32Array(elementCount(w.shape));
    dequantize(w.dtype, w.data, f32);
    return kind === 'f32' ? f32 : Float64Array.from(f32);
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

/**
 * A stored weight's values as f32 without caching anything: the data itself for f32, else a fresh
 * array (for a one-off pass over a big matrix, which the widening caches above must not keep).
 */
export function freshF32(w: WeightTensor): Float32Array {
  if (w.dtype === 'f32') return w.data as Float32Array;
  if (isQuantized(w)) return weightValues(w, 'f32') as Float32Array;
  return w.dtype === 'bf16' ? bf16ToF32(w.data as Uint16Array) : f16ToF32(w.data as Uint16Array);
}

let scratch = new Float32Array(0);

/**
 * A stored weight's values as f32 for a product that reads them at once: the data itself for f32,
 * else expanded (bf16/f16 widened, quantized blocks dequantized) into one scratch buffer shared by
 * every call, valid until the next call. Nothing is cached, so a big model's matrices never gain
 * resident f32 copies.
 */
export function expandedF32(w: WeightTensor): Float32Array {
  if (w.dtype === 'f32') return w.data as Float32Array;
  const n = elementCount(w.shape);
  if (scratch.length < n) scratch = new Float32Array(n);
  const out = scratch.subarray(0, n);
  if (isQuantized(w)) dequantize(w.dtype, w.data, out);
  else if (w.dtype === 'bf16') bf16ToF32(w.data as Uint16Array, out);
  else f16ToF32(w.data as Uint16Array, out);
  return out;
}

/** Writes row `row` (of `cols` values) of a weight into `dst` at `offset`, converting on the fly. */
export function copyWeightRow(w: Weight, row: number, cols: number, dst: FloatArray, offset: number): void {
  const start = row * cols;
  if (w instanceof Tensor || w.dtype === 'f32') {
    const src = w.data as FloatArray;
    for (let j = 0; j < cols; j++) dst[offset + j] = src[start + j];
    return;
  }
  const f = isQuantized(w)
    ? dequantizeRows(w.dtype, w.data, cols, row, 1)
    : w.dtype === 'bf16'
      ? bf16ToF32((w.data as Uint16Array).subarray(start, start + cols))
      : f16ToF32((w.data as Uint16Array).subarray(start, start + cols));
  for (let j = 0; j < cols; j++) dst[offset + j] = f[j];
}
