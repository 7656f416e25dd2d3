// A scan of a model's weights for NaN and ±Inf. Loaders do not run it (a 7B checkpoint is mmapped and
// read lazily, and a full scan would touch every page); commands and tests that want the guarantee call it.
import type { ModelWeights, WeightTensor } from '../model/weights.js';
import { freshF32 } from '../tensor/weight-values.js';
import { FormatError } from './errors.js';

/** The index of the first NaN or ±Inf in `t`, or -1; half types are tested on their exponent bits. */
export function firstNonFinite(t: WeightTensor): number {
  if (t.dtype !== 'bf16' && t.dtype !== 'f16') {
    // f32 as stored; a quantized tensor's values carry any non-finite scale.
    const v = freshF32(t);
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return i;
    return -1;
  }
  const v = t.data as Uint16Array;
  const mask = t.dtype === 'bf16' ? 0x7f80 : 0x7c00;
  for (let i = 0; i < v.length; i++) if ((v[i] & mask) === mask) return i;
  return -1;
}

/** Throws a FormatError naming `file` and the first tensor holding a NaN or an infinity. */
export function checkFiniteWeights(w: ModelWeights, file: string): void {
  for (const [name, t] of w.tensors) {
    const at = firstNonFinite(t);
    if (at >= 0) throw new FormatError(file, name, `finite values (element ${at} is NaN or infinite)`);
  }
}
