// Changing the dtype a model's matrices are stored in (`convert --dtype`, as llama.cpp's --outtype):
// every 2-D weight becomes f32, bf16 or f16 (rounded to nearest even); 1-D weights (norms, biases)
// stay as they are, since writers store those as they need (GGUF: always F32).
import { f32ToBf16, f32ToF16 } from '../native/index.js';
import { weightValues } from '../tensor/weight-values.js';
import type { ModelWeights, WeightTensor } from './weights.js';

export type MatrixDtype = 'f32' | 'bf16' | 'f16';
export const MATRIX_DTYPES: readonly MatrixDtype[] = ['f32', 'bf16', 'f16'];

function castTensor(t: WeightTensor, dtype: MatrixDtype): WeightTensor {
  if (t.dtype === dtype || t.shape.length !== 2) return t;
  const values = weightValues(t, 'f32') as Float32Array;
  if (dtype === 'f32') return { dtype, shape: [...t.shape], data: Float32Array.from(values) };
  return { dtype, shape: [...t.shape], data: dtype === 'bf16' ? f32ToBf16(values) : f32ToF16(values) };
}

/** The model with every matrix stored as `dtype` (tensors already of that dtype are shared, not copied). */
export function castMatrices(w: ModelWeights, dtype: MatrixDtype): ModelWeights {
  const tensors = new Map<string, WeightTensor>();
  for (const [name, t] of w.tensors) tensors.set(name, castTensor(t, dtype));
  return { config: w.config, tensors };
}
