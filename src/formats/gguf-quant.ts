// The one place where a GGUF tensor stored in a block-quantized type (Q4_0 … Q6_K, IQ4_NL, IQ4_XS)
// becomes a weight: today it is expanded to f32 at load by the native dequantizers. Keeping weights
// quantized in memory (and expanding a block's weights when it runs) starts by changing this file.
import type { WeightTensor } from '../model/weights.js';
import { dequantize } from '../native/quant.js';
import type { GgmlQuantType } from './ggml-types.js';

/** A quantized tensor's weight: its bytes (whole blocks, exactly `elements` of them) expanded to f32. */
export function quantizedWeight(
  type: GgmlQuantType,
  bytes: Uint8Array,
  shape: number[],
  elements: number,
): WeightTensor {
  const data = new Float32Array(elements);
  dequantize(type, bytes, data);
  return { dtype: 'f32', shape, data };
}
