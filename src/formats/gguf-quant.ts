// The one place where a GGUF tensor stored in a block-quantized type (Q4_0 … Q6_K, IQ4_NL, IQ4_XS)
// becomes a weight: it stays quantized, a view of the file's bytes, and is expanded only when a
// computation needs its values (tensor/weight-values.ts), so memory stays near the file's size.
import type { WeightTensor } from '../model/weights.js';
import type { GgmlQuantType } from './ggml-types.js';
import { ggmlRowBytes } from './ggml-types.js';

/** A quantized tensor's weight: its bytes (whole blocks, exactly `elements` of them), kept as stored. */
export function quantizedWeight(
  type: GgmlQuantType,
  bytes: Uint8Array,
  shape: number[],
  elements: number,
): WeightTensor {
  if (bytes.byteLength !== ggmlRowBytes(type, elements))
    throw new RangeError(`quantizedWeight: ${bytes.byteLength} bytes for ${elements} ${type} values`);
  return { dtype: type, shape, data: bytes };
}
