// Changing the dtype a model's matrices are stored in (`convert --dtype`, as llama.cpp's --outtype):
// every 2-D weight becomes f32, bf16 or f16 (rounded to nearest even) or a GGML quantized type
// (llama.cpp's reference quantizer); 1-D weights (norms, biases) stay as they are, since writers
// store those as they need (GGUF: always F32).
import type { GgmlQuantType } from '../formats/ggml-types.js';
import { ggmlQuantType } from '../formats/ggml-types.js';
import { f32ToBf16, f32ToF16 } from '../native/index.js';
import { quantize } from '../native/quant.js';
import { freshF32 } from '../tensor/weight-values.js';
import type { DType, ModelWeights, WeightTensor } from './weights.js';
import { isQuantized } from './weights.js';

/** What `convert --dtype` offers: llama.cpp's --outtype choices. */
export type MatrixDtype = 'f32' | 'bf16' | 'f16' | 'q8_0';
export const MATRIX_DTYPES: readonly MatrixDtype[] = ['f32', 'bf16', 'f16', 'q8_0'];

function castTensor(name: string, t: WeightTensor, dtype: DType): WeightTensor {
  if (t.dtype === dtype || t.shape.length !== 2) return t;
  const values = freshF32(t);
  const shape = [...t.shape];
  if (dtype === 'f32') return { dtype, shape, data: values };
  if (dtype === 'bf16') return { dtype, shape, data: f32ToBf16(values) };
  if (dtype === 'f16') return { dtype, shape, data: f32ToF16(values) };
  const block = ggmlQuantType(dtype).blockElements;
  if (shape[1] % block !== 0)
    throw new RangeError(
      `${name}: rows of ${shape[1]} values cannot be stored as ${dtype} (a multiple of ${block} is needed)`,
    );
  return { dtype, shape, data: quantize(dtype as GgmlQuantType, values) };
}

/** The model with every matrix stored as `dtype` (tensors already of that dtype are shared, not copied). */
export function castMatrices(w: ModelWeights, dtype: DType): ModelWeights {
  const tensors = new Map<string, WeightTensor>();
  for (const [name, t] of w.tensors) tensors.set(name, castTensor(name, t, dtype));
  return { config: w.config, tensors };
}

/** Whether any weight is GGML-quantized (what an HF folder cannot hold). */
export function hasQuantizedWeights(w: ModelWeights): boolean {
  for (const t of w.tensors.values()) if (isQuantized(t)) return true;
  return false;
}
